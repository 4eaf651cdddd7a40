/**
 * Stable Diffusion txt2img / img2img as AUTOMATIC1111 runs it with k-diffusion samplers (docs/sd-pipeline.md §4), on one
 * model folder whose sessions are created once and reused for every image. The render loop calls `generate` per frame.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ModelError, UsageError } from '../errors.js';
import { modelFingerprint } from '../model-fingerprint.js';
import { resizeImage } from '../image-file.js';
import { isSeed, MAX_SEED } from '../numerics/seed-range.js';
import type { RawImage } from '../raw-image.js';
import type { SamplerName, SchedulerName } from './sampler-names.js';
import { guidedDenoiser, type ControlHook, type Prediction } from './cfg-denoiser.js';
import { PromptEncoder } from './conditioning.js';
import { DeviceSessions, type Device, type DeviceProbe, type DeviceRequest } from './devices.js';
import { readModelFolder, readVaeFolder, type ModelFolder } from './model-folder.js';
import { BrownianTree, brownianNoiseSampler } from './brownian-tree.js';
import { loadClipTokenizer } from './prompt/clip-tokenizer.js';
import { SAMPLER_TRAITS } from './sampler-table.js';
import { samplePlan } from './samplers.js';
import { DEFAULT_STRENGTH, NoiseSchedule, planSigmas } from './sigmas.js';
import { TextEncoder } from './text-encoder.js';
import { UNet } from './unet.js';
import { initialNoise, variationProblem } from './variation-noise.js';
import { LATENT_CHANNELS, Vae } from './vae.js';

/** What a ControlNet plugs into: called per UNet call, returns that call's residuals. */
export type { ControlHook, ControlInput, RowKind } from './cfg-denoiser.js';
export type { ControlResiduals } from './unet.js';

export interface LoadOptions {
  /** `auto` (default): CUDA, then WebGPU, then the CPU. */
  device?: DeviceRequest;
  /** A VAE folder that replaces the model's (see `readVaeFolder`). */
  vae?: string;
  /** A1111's "Clip skip" (1 = last layer, the default). */
  clipSkip?: number;
  /**
   * Notes for the user: the device chosen, fallbacks, precision caveats, a size far above the native one. Notes marked
   * `detail` (why a device was skipped under `auto`) are for `--verbose`.
   */
  log?: (message: string, level?: 'detail') => void;
  /** What the machine offers; defaults to looking next to onnxruntime-node's binary. */
  probe?: DeviceProbe;
}

export interface GenerateOptions {
  prompt: string;
  negativePrompt?: string;
  /** Multiples of 8. */
  width: number;
  height: number;
  /** 0 … 2^32−1: the torch CPU generator's seed (A1111 "RNG source: CPU"). */
  seed: number;
  /** A1111's variation seed, 0 … 2^32−1; needed when `subseedStrength` is above 0. */
  subseed?: number;
  /** A1111's variation strength, 0 … 1: how far the initial noise moves from the seed's towards the subseed's. Default 0. */
  subseedStrength?: number;
  /** A1111's "Resize seed from" width and height in pixels: the noise is drawn at that size, centred. 0 on a side = off. */
  seedResizeFrom?: { width: number; height: number };
  steps: number;
  cfg: number;
  /** Parsed at the edge (`resolveSamplerName`): a user's "DPM++ 2M Karras" is `dpmpp_2m` with scheduler `karras`. */
  sampler: SamplerName;
  /** The sigma spacing; default `automatic` (the sampler's own, as A1111's "Automatic"). */
  scheduler?: SchedulerName;
  /** Deforum's strength: how much of `init` survives (denoise = 1 − strength). Only with `init`; default 0.65. */
  strength?: number;
  /** img2img init image; resized to width×height if it differs. */
  init?: RawImage;
  /** A1111's "do exactly the amount of steps the slider specifies" for img2img. */
  exactSteps?: boolean;
  /**
   * A1111's `initial_noise_multiplier` (Deforum's noise multiplier schedule): scales the img2img start noise before it
   * is added to the init latent. Default 1; txt2img ignores it, as A1111 does.
   */
  noiseMultiplier?: number;
  /**
   * Deforum prompt interpolation: blend towards another prompt by `weight` (0 = `prompt`, 1 = this one), and towards
   * another negative prompt when `negativePrompt` is given.
   */
  promptBlend?: { prompt: string; negativePrompt?: string; weight: number };
  control?: ControlHook;
  onStep?: (step: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ModelDescription {
  name: string;
  path: string;
  /** sha256 over the model's files (names, sizes, first and last MiB), first 10 hex digits; not A1111's checkpoint hash. */
  fingerprint: string;
  vae?: string;
  device: Device;
  prediction: Prediction;
  clipSkip: number;
  /** The model's native image size (unet sample_size × 8). */
  nativeSize: number;
}

/**
 * SD draws its subject as repeated copies or merged blobs from about twice its native size on (SD 1.5 at 1024; the
 * bundled tiny-sd at 256, models/tiny-sd/README.md), so a size that large gets one warning per model.
 */
export function oversizeWarning(width: number, height: number, model: Pick<ModelDescription, 'name' | 'nativeSize'>): string | undefined {
  const native = model.nativeSize;
  if (Math.max(width, height) < 2 * native) return undefined;
  return `${width}×${height} is twice or more ${model.name}'s native ${native}×${native}: it tends to repeat its subject as copies or blobs there; ${native}×${native} or a model made for this size looks as intended`;
}

/** Every file of the model folders the pipeline reads, external weights (weights.pb, model.onnx_data) included. */
function modelFiles(dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(dir, entry.name))
      .sort(),
  );
}


function validate(options: GenerateOptions): void {
  const { width, height, seed, steps, cfg, strength, init } = options;
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value <= 0 || value % 8 !== 0) throw new UsageError(`${name} must be a positive multiple of 8, got ${value}`);
  }
  if (!isSeed(seed)) throw new UsageError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`steps must be a positive integer, got ${steps}`);
  if (!Number.isFinite(cfg)) throw new UsageError(`cfg must be a number, got ${cfg}`);
  if (strength !== undefined) {
    if (!(strength >= 0 && strength <= 1)) throw new UsageError(`strength must be between 0 and 1, got ${strength}`);
    if (!init) throw new UsageError('strength needs an init image (img2img)');
  }
  const variation = variationProblem([LATENT_CHANNELS, height / 8, width / 8], options);
  if (variation) throw new UsageError(variation.message);
  if (options.noiseMultiplier !== undefined && !Number.isFinite(options.noiseMultiplier)) {
    throw new UsageError(`noise multiplier must be a number, got ${options.noiseMultiplier}`);
  }
  if (options.promptBlend && !(options.promptBlend.weight >= 0 && options.promptBlend.weight <= 1)) {
    throw new UsageError(`prompt blend weight must be between 0 and 1, got ${options.promptBlend.weight}`);
  }
}

export class StableDiffusion {
  private readonly schedule: NoiseSchedule;
  private oversizeWarned = false;

  private constructor(
    private readonly folder: ModelFolder,
    private readonly prompts: PromptEncoder,
    private readonly textEncoder: TextEncoder,
    private readonly unet: UNet,
    private readonly vae: Vae,
    private readonly description: ModelDescription,
    private readonly log: LoadOptions['log'],
  ) {
    this.schedule = new NoiseSchedule(folder.scheduler);
  }

  static async load(modelDir: string, options: LoadOptions = {}): Promise<StableDiffusion> {
    const folder = readModelFolder(modelDir);
    const vaeOverride = options.vae === undefined ? undefined : readVaeFolder(options.vae);
    const tokenizer = loadClipTokenizer(folder.root);
    const sessions = new DeviceSessions(options.device ?? 'auto', { probe: options.probe });
    const warn = (message: string) => options.log?.(`warning: ${message}`);
    const opened: Array<{ release(): Promise<void> }> = [];
    try {
      // the UNet first: the largest graph decides which device works
      const unet = await UNet.open(folder.unet, sessions, folder.root, folder.unetConfig, { warn });
      opened.push(unet);
      // the device of the UNet, where the time goes, is the model's device even if a smaller graph fell back later
      const device = sessions.device;
      const textEncoder = await TextEncoder.open(folder.textEncoder, sessions, folder.root, options.clipSkip ?? 1);
      opened.push(textEncoder);
      const width = unet.context.shape[2];
      if (typeof width === 'number' && width !== textEncoder.dim) {
        throw new ModelError(`text_encoder/model.onnx gives ${textEncoder.dim}-wide states but unet/model.onnx takes encoder_hidden_states of width ${width}`);
      }
      const vaeFiles = vaeOverride ? { ...vaeOverride, encoder: vaeOverride.encoder ?? folder.vae.encoder } : folder.vae;
      const vae = await Vae.open(vaeFiles, sessions, vaeOverride ? path.resolve(options.vae!) : folder.root);
      opened.push(vae);
      for (const { device, reason } of sessions.skipped) options.log?.(`device ${device} skipped: ${reason}`, 'detail');
      for (const warning of sessions.warnings) warn(warning);
      options.log?.(`device: ${device}`);
      const files = modelFiles([folder.textEncoder, folder.unet, vaeFiles.encoder, vaeFiles.decoder].map((file) => path.dirname(file)));
      const description: ModelDescription = {
        name: path.basename(folder.root),
        path: folder.root,
        fingerprint: modelFingerprint(folder.root, [...files, path.join(folder.root, 'scheduler', 'scheduler_config.json')]),
        vae: vaeOverride ? path.resolve(options.vae!) : undefined,
        device,
        prediction: folder.scheduler.prediction_type,
        clipSkip: textEncoder.clipSkip,
        nativeSize: folder.unetConfig.sample_size * 8,
      };
      return new StableDiffusion(folder, new PromptEncoder(textEncoder, tokenizer), textEncoder, unet, vae, description, options.log);
    } catch (error) {
      await Promise.all(opened.map((part) => part.release()));
      throw error;
    }
  }

  /** The device the UNet runs on (after any fallback). */
  get device(): Device {
    return this.description.device;
  }

  describe(): ModelDescription {
    return { ...this.description };
  }

  /** The prompt's and the negative prompt's conditioning, scheduled over the steps A1111 counts prompt edits in. */
  private async conditioning(options: GenerateOptions) {
    // A1111 schedules prompt edits over the requested steps, counted per denoiser call: doubled for second-order samplers
    const editSteps = SAMPLER_TRAITS[options.sampler].secondOrder ? 2 * options.steps : options.steps;
    const blend = options.promptBlend;
    const negative = options.negativePrompt ?? '';
    const [cond, uncond] = await Promise.all([
      blend ? this.prompts.blend(options.prompt, blend.prompt, blend.weight, editSteps) : this.prompts.conditioning(options.prompt, editSteps),
      blend?.negativePrompt !== undefined
        ? this.prompts.blendNegative(negative, blend.negativePrompt, blend.weight, editSteps)
        : this.prompts.scheduled(negative, editSteps),
    ]);
    return { cond, uncond };
  }

  private warnOversize(width: number, height: number): void {
    const oversize = this.oversizeWarned ? undefined : oversizeWarning(width, height, this.description);
    if (!oversize) return;
    this.oversizeWarned = true;
    this.log?.(`warning: ${oversize}`);
  }

  async generate(options: GenerateOptions): Promise<RawImage> {
    validate(options);
    const { width, height, seed, init, sampler } = options;
    this.unet.checkImageSize(width, height);
    this.warnOversize(width, height);
    const latentHeight = height / 8;
    const latentWidth = width / 8;
    const { cond, uncond } = await this.conditioning(options);
    const plan = planSigmas({
      steps: options.steps,
      sampler,
      scheduler: options.scheduler ?? 'automatic',
      strength: init ? (options.strength ?? DEFAULT_STRENGTH) : undefined,
      exactSteps: options.exactSteps,
      schedule: this.schedule,
    });
    const initLatent = init ? await this.vae.encode(await resizeImage(init, width, height)) : undefined;
    // one generator per image: the initial noise is its first draw (with A1111's variation seeds when asked), the
    // sampler's randn_like the next ones (§4.3, ENSD 0)
    const numel = LATENT_CHANNELS * latentHeight * latentWidth;
    const { noise, generator } = initialNoise(seed, [LATENT_CHANNELS, latentHeight, latentWidth], options);
    const plannedTimesteps = new Map(plan.timesteps.map((t, i) => [plan.sigmas[i], t]));
    const denoiser = guidedDenoiser({
      unet: this.unet,
      cond,
      uncond,
      cfg: options.cfg,
      prediction: this.folder.scheduler.prediction_type,
      latentHeight,
      latentWidth,
      // the plan's own timestep where it has one (UniPC's continuous times are not sigmaToT of their levels)
      sigmaToT: (sigma) => plannedTimesteps.get(sigma) ?? this.schedule.sigmaToT(sigma),
      totalSteps: plan.sigmas.length - 1,
      control: options.control,
    });
    // the SDE samplers' Brownian tree spans the whole schedule and is seeded by the image seed, as A1111's (§3.3)
    const brownian = SAMPLER_TRAITS[sampler].brownianNoise && plan.noiseRange ? new BrownianTree(seed, numel, plan.noiseRange.min, plan.noiseRange.max) : undefined;
    const latent = await samplePlan(plan, denoiser, { noise, init: initLatent, noiseMultiplier: initLatent ? options.noiseMultiplier : undefined }, {
      randnLike: () => generator.randn(numel),
      brownianNoise: brownian && brownianNoiseSampler(brownian),
      onStep: options.onStep,
      signal: options.signal,
    });
    options.signal?.throwIfAborted();
    return this.vae.decode(latent, width, height);
  }

  async release(): Promise<void> {
    await Promise.all([this.textEncoder.release(), this.unet.release(), this.vae.release()]);
  }
}
