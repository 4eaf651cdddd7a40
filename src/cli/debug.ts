import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { MAX_SEED } from '../numerics/seed-range.js';
import { readImageFile, writePngFile } from '../image-file.js';
import { resolveSamplerName, schedulerNames, unknownSamplerMessage, type SchedulerName } from '../sampler/sampler-names.js';
import { randn } from '../sampler/noise.js';
import { initialNoise, variationProblem, type Variation, type VariationProblem } from '../sampler/variation-noise.js';
import { NoiseSchedule, planSigmas } from '../sampler/sigmas.js';
import { depthAlgorithmNames, depthTransform } from '../motion/depth-normalise.js';
import { paddingModes, samplingModes } from '../motion/grid-sample.js';
import { defaultMotion3D, warp3D } from '../motion/warp3d.js';
import { NpyError, readNpyFile } from '../npy-file.js';
import type { RawImage } from '../raw-image.js';
import { integerOption } from './schedule.js';
import { parseSeedResize, seedResizeExpected } from './seed-resize-flag.js';

const MAX_NOISE_VALUES = 1 << 26;

/** `--shape 1,4,64,64`: positive integer dimensions, at most 2^26 values in all. */
function shapeOption(value: string): number[] {
  const shape = value.split(',').map((d) => d.trim());
  if (!shape.every((d) => /^\d+$/.test(d) && Number(d) >= 1)) throw new InvalidArgumentError('expected comma-separated positive integers, e.g. 1,4,64,64.');
  const dims = shape.map(Number);
  if (dims.reduce((a, b) => a * b, 1) > MAX_NOISE_VALUES) throw new InvalidArgumentError(`expected at most ${MAX_NOISE_VALUES} values in all.`);
  return dims;
}

function resizeOption(value: string): { width: number; height: number } {
  const resize = parseSeedResize(value);
  if (!resize) throw new InvalidArgumentError(`expected ${seedResizeExpected}.`);
  return resize;
}

const variationFlags: Record<VariationProblem['option'], string> = {
  latent: '--shape',
  subseed: '--subseed',
  subseedStrength: '--subseed-strength',
  seedResizeFrom: '--seed-resize-from',
};

interface NoiseFlags {
  seed: number;
  shape: number[];
  subseed?: number;
  subseedStrength?: number;
  seedResizeFrom?: { width: number; height: number };
  json?: boolean;
}

/**
 * A1111's initial noise of one image with variation seeds or seed resize (`initialNoise`), for a 1,C,H,W or C,H,W
 * shape; the values in the shape's order.
 */
function variationNoise({ seed, shape, subseed, subseedStrength, seedResizeFrom }: NoiseFlags): Float32Array {
  if (subseedStrength !== undefined && subseed === undefined) throw new UsageError('--subseed-strength needs --subseed (the variation seed)');
  const latent = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  if (latent.length !== 3) {
    throw new UsageError(`--shape: variation seeds and seed resize make one image's noise: expected 1,C,H,W or C,H,W, got ${shape.join(',')}`);
  }
  const [channels, height, width] = latent;
  const variation: Variation = { subseed, subseedStrength, seedResizeFrom };
  const problem = variationProblem([channels, height, width], variation);
  if (problem) throw new UsageError(`${variationFlags[problem.option]}: ${problem.message}`);
  if (seedResizeFrom && channels * Math.trunc(seedResizeFrom.width / 8) * Math.trunc(seedResizeFrom.height / 8) > MAX_NOISE_VALUES) {
    throw new UsageError(`--seed-resize-from: noise of ${channels} channels at ${seedResizeFrom.width}×${seedResizeFrom.height} px is more than ${MAX_NOISE_VALUES} values`);
  }
  return initialNoise(seed, [channels, height, width], variation).noise;
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

/** A finite number within [min, max]; negative values are given as `--fov=-70`. */
const numberOption = (min: number, max: number, also = '') => (value: string): number => {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!(n >= min && n <= max)) throw new InvalidArgumentError(`expected a number from ${min} to ${max}${also}.`);
  return n;
};

const nonZero = (parse: (value: string) => number, what: string) => (value: string): number => {
  const n = parse(value);
  if (n === 0) throw new InvalidArgumentError(`expected a non-zero number (${what}).`);
  return n;
};

/** `X,Y,Z`: three numbers within ±max. */
const tripleOption = (max: number) => (value: string): [number, number, number] => {
  const parts = value.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v)));
  if (parts.length !== 3 || !parts.every((n) => Math.abs(n) <= max)) throw new InvalidArgumentError(`expected three comma-separated numbers from -${max} to ${max}, e.g. 3,2,10 (a negative first value as =-3,2,10).`);
  return parts as [number, number, number];
};

const choiceOption = (choices: readonly string[]) => (value: string): string => {
  if (!choices.includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
  return value;
};

// Bounds the memory of one warp (about 60 bytes per pixel).
const MAX_WARP_PIXELS = 4096 * 4096;
// SLEEF's short trig reduction covers |radians| < 125 (torch-float32.ts).
const MAX_ROTATION_DEGREES = 7000;

interface Warp3DFlags {
  image: string;
  depth?: string;
  depthAlgorithm: string;
  translation: [number, number, number];
  rotation: [number, number, number];
  fov: number;
  near: number;
  far: number;
  aspect: number;
  oldAspect?: boolean;
  padding: (typeof paddingModes)[number];
  sampling: (typeof samplingModes)[number];
  output: string;
}

async function readWarpImage(file: string): Promise<RawImage> {
  if (!existsSync(file)) throw new UsageError(`--image: file not found: ${file}`);
  let image: RawImage;
  try {
    image = await readImageFile(file);
  } catch (error) {
    throw new UsageError(`--image: ${file} is not a readable image (${error instanceof Error ? error.message : String(error)})`);
  }
  if (image.width * image.height > MAX_WARP_PIXELS) throw new UsageError(`--image: ${file} is ${image.width}×${image.height}; expected at most ${MAX_WARP_PIXELS} pixels`);
  return image;
}

async function readWarpDepth(file: string, image: RawImage): Promise<Float32Array> {
  if (!existsSync(file)) throw new UsageError(`--depth: file not found: ${file}`);
  try {
    return (await readNpyFile(file, image)).data;
  } catch (error) {
    if (error instanceof NpyError) throw new UsageError(`--depth: ${file}: ${error.message}`);
    throw new UsageError(`--depth: ${file} is not readable (${error instanceof Error ? error.message : String(error)})`);
  }
}

async function debugWarp3D(flags: Warp3DFlags): Promise<void> {
  if (!depthTransform(flags.depthAlgorithm)) {
    throw new UsageError(`--depth-algorithm: unknown algorithm "${flags.depthAlgorithm}"; expected one of ${depthAlgorithmNames.join(', ')} (case-insensitive; any name starting with Midas or Depth-Anything)`);
  }
  const image = await readWarpImage(flags.image);
  const depth = flags.depth === undefined ? undefined : await readWarpDepth(flags.depth, image);
  const [translationX, translationY, translationZ] = flags.translation;
  const [rotationX, rotationY, rotationZ] = flags.rotation;
  const { image: warped, flatDepth } = warp3D(
    image,
    depth,
    { translationX, translationY, translationZ, rotationX, rotationY, rotationZ, fov: flags.fov, near: flags.near, far: flags.far, aspectRatio: flags.aspect, aspectRatioUseOldFormula: flags.oldAspect === true },
    { depthAlgorithm: flags.depthAlgorithm, padding: flags.padding, sampling: flags.sampling },
  );
  if (depth && flatDepth) process.stderr.write(`deforum: warning: --depth: ${flags.depth} has NaN, infinite or constant values; Deforum warps it with flat depth (z = 1)\n`);
  try {
    await writePngFile(warped, flags.output);
  } catch (error) {
    throw new UsageError(`-o: cannot write ${flags.output} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export function register(program: Command): void {
  const debug = program.command('debug').description('inspect the numeric core: seeded noise, sigma schedules and the 3D warp');

  debug
    .command('noise')
    .description(
      'the initial noise torch.manual_seed(seed); torch.randn(shape) gives on the CPU (A1111 "RNG source: CPU"), float32; with a subseed or seed resize, A1111\'s variation noise of one image',
    )
    .requiredOption('--seed <s>', `seed, 0 … ${MAX_SEED}`, integerOption(0, MAX_SEED))
    .option('--shape <dims>', 'tensor shape, comma-separated (the latent of a 512×512 image is 1,4,64,64)', shapeOption, [1, 4, 64, 64])
    .option('--subseed <t>', `A1111's variation seed, 0 … ${MAX_SEED}`, integerOption(0, MAX_SEED))
    .option('--subseed-strength <w>', "A1111's variation strength, 0 … 1: slerp from the seed's noise to the subseed's (default 0)", numberOption(0, 1))
    .option('--seed-resize-from <W,H>', 'A1111\'s "Resize seed from" width,height in pixels: the noise is drawn at that size, centred (0 = off)', resizeOption)
    .option('--json', 'print one flat JSON array')
    .action((options: NoiseFlags) => {
      const variation = options.subseed !== undefined || options.subseedStrength !== undefined || options.seedResizeFrom !== undefined;
      const values = Array.from(variation ? variationNoise(options) : randn(options.seed, options.shape), float32Text);
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

  const d = defaultMotion3D;
  debug
    .command('warp3d')
    .description("one 3D warp as Deforum's anim_frame_warp_3d computes it (defaults: Deforum's 3D defaults); negative numbers as --fov=-70")
    .requiredOption('--image <file>', 'the image to warp (PNG, JPEG, WebP …)')
    .option('--depth <file.npy>', "the depth model's raw output at the image's size: a float32 (or float64) H×W NumPy .npy array; without it, flat depth")
    .option('--depth-algorithm <name>', `Deforum's depth_algorithm: picks the normalisation (${depthAlgorithmNames.join(', ')})`, 'Midas-3-Hybrid')
    .option('--translation <x,y,z>', "translation_x, _y, _z (Deforum's units)", tripleOption(1e6), [d.translationX, d.translationY, d.translationZ])
    .option('--rotation <x,y,z>', 'rotation_3d_x, _y, _z in degrees', tripleOption(MAX_ROTATION_DEGREES), [d.rotationX, d.rotationY, d.rotationZ])
    .option('--fov <degrees>', 'field of view, −180 … 180 (not 0)', nonZero(numberOption(-180, 180, ', not 0'), 'the field of view'), d.fov)
    .option('--near <n>', 'near plane (only rounds into the camera; not 0)', nonZero(numberOption(-1e9, 1e9), 'near'), d.near)
    .option('--far <n>', 'far plane (no effect on the image)', numberOption(-1e9, 1e9), d.far)
    .option('--aspect <a>', 'aspect_ratio_schedule (not 0)', nonZero(numberOption(-1e6, 1e6), 'the aspect ratio'), d.aspectRatio)
    .option('--old-aspect', 'aspect_ratio_use_old_formula: aspect = width/height')
    .option('--padding <mode>', `padding_mode: ${paddingModes.join(', ')}`, choiceOption(paddingModes), 'border')
    .option('--sampling <mode>', `sampling_mode: ${samplingModes.join(', ')}`, choiceOption(samplingModes), 'bicubic')
    .requiredOption('-o, --output <file.png>', 'where to write the warped image (PNG)')
    .action((options: Warp3DFlags) => debugWarp3D(options));
}
