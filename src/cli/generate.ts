import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { verbose } from '../invocation.js';
import { animationJsonSchema } from '../keyframes/schema.js';
import { extraNetworksOf, extraNetworksWarning } from '../sampler/prompt/extra-networks.js';
import { acceptedSamplerNames, resolveSamplerName, unknownSamplerMessage } from '../sampler/sampler-names.js';
import { bundledModelPath } from '../models/bundled.js';
import { isSeed, MAX_SEED } from '../numerics/seed-range.js';
import type { RawImage } from '../raw-image.js';
import { DEFAULT_STRENGTH } from '../sampler/sigmas.js';
import { outputFile } from './output.js';

interface GenerateFlags {
  prompt: string;
  negative: string;
  init?: string;
  strength?: string;
  model?: string;
  device: string;
  vae?: string;
  clipSkip: string;
  sampler: string;
  steps: string;
  cfg: string;
  seed?: string;
  width?: string;
  height?: string;
  output: string;
}

/** A flag's value as a number, or a one-line usage error naming the flag and what it takes. */
function numberFlag(flag: string, value: string, kind: 'integer' | 'number'): number {
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(number) || (kind === 'integer' && !Number.isInteger(number))) {
    throw new UsageError(`${flag}: expected ${kind === 'integer' ? 'an integer' : 'a number'}, got "${value}"`);
  }
  return number;
}

interface FieldBounds {
  minimum: number;
  maximum: number;
  multipleOf?: number;
}

/** A flag that sets what a keyframe file's field sets takes the same values: the bounds of its JSON Schema. */
function keyframeFieldBounds(field: 'width' | 'height' | 'steps'): FieldBounds {
  const properties = animationJsonSchema().properties as Record<string, FieldBounds>;
  return properties[field];
}

function boundedIntegerFlag(flag: string, value: string, field: 'width' | 'height' | 'steps'): number {
  const number = numberFlag(flag, value, 'integer');
  const { minimum, maximum, multipleOf = 1 } = keyframeFieldBounds(field);
  if (number < minimum || number > maximum || number % multipleOf !== 0) {
    throw new UsageError(`${flag}: expected ${multipleOf > 1 ? `a multiple of ${multipleOf}` : 'an integer'} from ${minimum} to ${maximum}, got ${value}`);
  }
  return number;
}

/** A1111's seed: -1 (or none) draws a random one; otherwise 0 … 2^32−1. */
function seedFlag(value: string | undefined): number {
  const seed = value === undefined ? -1 : numberFlag('--seed', value, 'integer');
  if (seed === -1) return Math.floor(Math.random() * MAX_SEED);
  if (!isSeed(seed)) throw new UsageError(`--seed: expected an integer from 0 to ${MAX_SEED} (or -1 for random), got ${value}`);
  return seed;
}

async function readInit(file: string): Promise<RawImage> {
  if (!existsSync(file)) throw new UsageError(`--init: file not found: ${file}`);
  const { readImageFile } = await import('../image-file.js');
  try {
    return await readImageFile(file);
  } catch (error) {
    throw new UsageError(`--init: ${file} is not a readable image (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Loads sharp and onnxruntime only when an image is made, so that other commands start without them. */
async function generate(flags: GenerateFlags): Promise<void> {
  const [{ parseDeviceRequest }, { StableDiffusion }, { writePngFile }] = await Promise.all([
    import('../sampler/devices.js'),
    import('../sampler/pipeline.js'),
    import('../image-file.js'),
  ]);
  if (flags.prompt.trim() === '') throw new UsageError('--prompt: expected a non-empty prompt');
  const sampler = resolveSamplerName(flags.sampler);
  if (!sampler) throw new UsageError(`--sampler: ${unknownSamplerMessage(flags.sampler)}`);
  const steps = boundedIntegerFlag('--steps', flags.steps, 'steps');
  const cfg = numberFlag('--cfg', flags.cfg, 'number');
  const clipSkip = numberFlag('--clip-skip', flags.clipSkip, 'integer');
  if (clipSkip < 1) throw new UsageError(`--clip-skip: expected an integer ≥ 1, got ${flags.clipSkip}`);
  const device = parseDeviceRequest(flags.device);
  if (flags.strength !== undefined && flags.init === undefined) throw new UsageError('--strength needs --init (img2img)');
  const strength = flags.strength === undefined ? undefined : numberFlag('--strength', flags.strength, 'number');
  if (strength !== undefined && !(strength >= 0 && strength <= 1)) throw new UsageError(`--strength: expected a number from 0 to 1, got ${flags.strength}`);
  const width = flags.width === undefined ? undefined : boundedIntegerFlag('--width', flags.width, 'width');
  const height = flags.height === undefined ? undefined : boundedIntegerFlag('--height', flags.height, 'height');
  const seed = seedFlag(flags.seed);
  const output = outputFile(flags.output);
  const init = flags.init === undefined ? undefined : await readInit(flags.init);
  const extraNetworks = extraNetworksWarning(extraNetworksOf(flags.prompt), '--prompt');
  if (extraNetworks) process.stderr.write(`warning: ${extraNetworks}\n`);

  const log = (message: string, level?: 'detail') => {
    if (level !== 'detail' || verbose) process.stderr.write(`${message}\n`);
  };
  const sd = await StableDiffusion.load(flags.model ?? bundledModelPath('tiny-sd'), { device, vae: flags.vae, clipSkip, log });
  try {
    const { nativeSize } = sd.describe();
    const started = performance.now();
    const image = await sd.generate({
      prompt: flags.prompt,
      negativePrompt: flags.negative,
      width: width ?? nativeSize,
      height: height ?? nativeSize,
      seed,
      steps,
      cfg,
      ...sampler,
      init,
      strength: init ? (strength ?? DEFAULT_STRENGTH) : undefined,
      // a live step counter on a terminal only, so that logs and tests see clean lines
      onStep: process.stderr.isTTY ? (step, total) => process.stderr.write(`\rstep ${step}/${total}${step === total ? '\n' : ''}`) : undefined,
    });
    await writePngFile(image, output);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`${flags.output}: ${image.width}×${image.height}, seed ${seed}, ${flags.sampler}, ${steps} steps, cfg ${cfg}, ${sd.device}, ${seconds.toFixed(2)} s\n`);
  } finally {
    await sd.release();
  }
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('generate one image (txt2img, or img2img with --init) with a Stable Diffusion ONNX model')
    .requiredOption('--prompt <text>', 'the prompt (A1111 syntax: (emphasis:1.2), [de-emphasis], BREAK, AND)')
    .option('--negative <text>', 'negative prompt', '')
    .option('--init <image>', 'init image for img2img (resized to the output size)')
    .option('--strength <s>', `how much of the init image survives, 0..1 (Deforum strength; default ${DEFAULT_STRENGTH} with --init)`)
    .option('--model <dir>', 'diffusers/Optimum ONNX model folder (default: the bundled tiny-sd)')
    .option('--device <device>', 'auto | cuda | webgpu | cpu', 'auto')
    .option('--vae <dir>', 'ONNX VAE folder that replaces the model\'s')
    .option('--clip-skip <n>', 'A1111 clip skip (1 = last layer)', '1')
    .option('--sampler <name>', `sampler (${acceptedSamplerNames.slice(0, 8).join(', ')}, …)`, 'euler_a')
    .option('--steps <n>', 'sampling steps (the bounds of a keyframe file\'s steps)', '25')
    .option('--cfg <x>', 'classifier-free guidance scale', '7')
    .option('--seed <s>', `seed 0..${MAX_SEED}; -1 or none = random`)
    .option('--width <w>', 'image width, a multiple of 8 as in keyframe files (default: the model\'s native size)')
    .option('--height <h>', 'image height, a multiple of 8 as in keyframe files (default: the model\'s native size)')
    .requiredOption('-o, --output <file>', 'output PNG')
    .action(generate);
}
