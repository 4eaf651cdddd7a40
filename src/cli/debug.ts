import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { resolveSamplerName, schedulerNames, unknownSamplerMessage, type SchedulerName } from '../keyframes/sampler-names.js';
import { randn } from '../sampler/noise.js';
import { NoiseSchedule, planSigmas } from '../sampler/sigmas.js';
import { integerOption } from './schedule.js';

const MAX_NOISE_VALUES = 1 << 26;

/** `--shape 1,4,64,64`: positive integer dimensions, at most 2^26 values in all. */
function shapeOption(value: string): number[] {
  const shape = value.split(',').map((d) => d.trim());
  if (!shape.every((d) => /^\d+$/.test(d) && Number(d) >= 1)) throw new InvalidArgumentError('expected comma-separated positive integers, e.g. 1,4,64,64.');
  const dims = shape.map(Number);
  if (dims.reduce((a, b) => a * b, 1) > MAX_NOISE_VALUES) throw new InvalidArgumentError(`expected at most ${MAX_NOISE_VALUES} values in all.`);
  return dims;
}

function strengthOption(value: string): number {
  const strength = value.trim() === '' ? Number.NaN : Number(value);
  if (!(strength >= 0 && strength <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1 (Deforum strength: 1 − denoise).');
  return strength;
}

function scheduleOption(value: string): SchedulerName {
  const name = schedulerNames.find((s) => s === value.trim().toLowerCase());
  if (!name) throw new InvalidArgumentError(`expected one of ${schedulerNames.join(', ')}.`);
  return name;
}

/** The shortest decimal that reads back (through Math.fround) as the same float32. */
function float32Text(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(value);
}

export function register(program: Command): void {
  const debug = program.command('debug').description('inspect the numeric core of the sampler: seeded noise and sigma schedules');

  debug
    .command('noise')
    .description('the initial noise torch.manual_seed(seed); torch.randn(shape) gives on the CPU (A1111 "RNG source: CPU"), float32')
    .requiredOption('--seed <s>', 'seed, 0 … 4294967295', integerOption(0, 4294967295))
    .option('--shape <dims>', 'tensor shape, comma-separated (the latent of a 512×512 image is 1,4,64,64)', shapeOption, [1, 4, 64, 64])
    .option('--json', 'print one flat JSON array')
    .action((options: { seed: number; shape: number[]; json?: boolean }) => {
      const values = Array.from(randn(options.seed, options.shape), float32Text);
      process.stdout.write(options.json ? `[${values.join(',')}]\n` : `${values.join('\n')}\n`);
    });

  debug
    .command('sigmas')
    .description("the noise levels a sampler runs through on the SD 1.x/2.x schedule, and the UNet timestep of each; with --strength, only img2img's part")
    .requiredOption('--steps <n>', 'sampling steps', integerOption(1, 1000))
    .option('--schedule <name>', `sigma schedule: ${schedulerNames.join(', ')} (automatic: the sampler's own, as A1111)`, scheduleOption)
    .option('--sampler <name>', 'sampler, e.g. euler_a, "DPM++ 2M Karras", ddim', 'euler')
    .option('--strength <s>', 'img2img with Deforum strength s (denoise = 1 − s)', strengthOption)
    .option('--exact-steps', "img2img runs exactly --steps steps (A1111's img2img_fix_steps)")
    .option('--json', 'print {"sigmas": […], "timesteps": […]}')
    .action((options: { steps: number; schedule?: SchedulerName; sampler: string; strength?: number; exactSteps?: boolean; json?: boolean }) => {
      const resolved = resolveSamplerName(options.sampler);
      if (!resolved) throw new UsageError(`--sampler: ${unknownSamplerMessage(options.sampler)}`);
      const plan = planSigmas({
        steps: options.steps,
        sampler: resolved.sampler,
        scheduler: options.schedule ?? resolved.scheduler,
        strength: options.strength,
        exactSteps: options.exactSteps,
        schedule: new NoiseSchedule(),
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ sigmas: plan.sigmas, timesteps: plan.timesteps })}\n`);
        return;
      }
      const rows = plan.sigmas.map((sigma, i) => `${String(i).padStart(4)}  ${String(sigma).padEnd(22)}${plan.timesteps[i] ?? ''}`);
      process.stdout.write(`step  sigma                 timestep\n${rows.join('\n')}\n`);
    });
}
