/**
 * Noise levels: the model's discrete DDPM table, k-diffusion's sigma schedules and the steps AUTOMATIC1111 runs
 * for txt2img and img2img. docs/sd-pipeline.md §3.1, §3.2, §3.4, §4.1.
 *
 * k-diffusion computes these in torch float32; every operation here is rounded to float32 the same way, so the tables
 * and schedules equal torch's CPU results bit for bit (tested against test/fixtures/kdiffusion-sigmas.json).
 */
import { ModelError } from '../errors.js';
import type { SchedulerConfig } from './model-folder.js';
import type { SamplerName, SchedulerName } from './sampler-names.js';
import { SAMPLER_TRAITS, type SigmaSpacing } from './sampler-table.js';
import { f32, linspaceF32, powTensorScalarF32, sleefExpf, sleefLogf } from '../numerics/torch-float32.js';

/** The scheduler_config.json fields that define the training noise. */
export type NoiseScheduleConfig = Pick<SchedulerConfig, 'num_train_timesteps' | 'beta_start' | 'beta_end' | 'beta_schedule' | 'trained_betas'>;

/** SD 1.x/2.x: ldm's "linear" 0.00085 → 0.012 over 1000 steps, which diffusers calls scaled_linear. §3.1 */
export const SD_NOISE_SCHEDULE: NoiseScheduleConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
};

/**
 * ldm's float64 `torch.linspace` of betas, evaluated directly: its last-bit differences from torch's vectorised double
 * kernel vanish when ᾱ is stored as float32 (the tables equal torch's exactly, see the tests).
 */
function linspace64(start: number, end: number, n: number): number[] {
  const step = (end - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i < Math.floor(n / 2) ? start + step * i : end - step * (n - 1 - i)));
}

function betasOf(config: NoiseScheduleConfig): number[] {
  const n = config.num_train_timesteps;
  if (config.trained_betas) return config.trained_betas;
  switch (config.beta_schedule) {
    case 'scaled_linear':
      return linspace64(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n).map((b) => b * b);
    case 'linear':
      return linspace64(config.beta_start, config.beta_end, n);
    default:
      throw new ModelError(`scheduler_config.json: beta_schedule "${config.beta_schedule}" is not supported (expected scaled_linear or linear, or trained_betas)`);
  }
}

/**
 * The model's discrete schedule (k-diffusion `DiscreteSchedule`): ᾱ = cumprod(1 − β) in float64 stored as float32
 * (ldm `register_schedule`), σ_t = √((1 − ᾱ_t)/ᾱ_t) and log σ_t in float32.
 */
export class NoiseSchedule {
  readonly alphasCumprod: Float32Array;
  readonly sigmas: Float32Array;
  readonly logSigmas: Float32Array;

  constructor(config: NoiseScheduleConfig = SD_NOISE_SCHEDULE) {
    const betas = betasOf(config);
    this.alphasCumprod = new Float32Array(betas.length);
    let product = 1;
    betas.forEach((beta, i) => {
      product *= 1 - beta;
      this.alphasCumprod[i] = product;
    });
    this.sigmas = this.alphasCumprod.map((a) => Math.sqrt(f32(f32(1 - a) / a)));
    this.logSigmas = this.sigmas.map(sleefLogf);
  }

  get sigmaMin(): number {
    return this.sigmas[0];
  }

  get sigmaMax(): number {
    return this.sigmas[this.sigmas.length - 1];
  }

  /** The fractional (non-quantised) timestep the UNet receives for a noise level, as A1111 passes it. §3.1 */
  sigmaToT(sigma: number): number {
    const logs = this.logSigmas;
    const logSigma = sleefLogf(f32(sigma));
    let low = 0;
    for (let i = 0; i < logs.length; i++) if (f32(logSigma - logs[i]) >= 0) low = i;
    low = Math.min(low, logs.length - 2);
    const w = Math.min(1, Math.max(0, f32(f32(logs[low] - logSigma) / f32(logs[low] - logs[low + 1]))));
    return f32(f32(f32(1 - w) * low) + f32(w * (low + 1)));
  }

  /** Log-linear interpolation of the table at a fractional timestep. §3.1 */
  tToSigma(t: number): number {
    return interpolateLogSigma(this.logSigmas, t);
  }

  /**
   * UniPC's `NoiseScheduleVP('discrete')` at a continuous time t ∈ [1/N, 1]: log α_t interpolated linearly between
   * (i+1)/N ↦ ½·log ᾱ_i in float32 (`interpolate_fn`), returned as k-diffusion's σ = σ_t/α_t = √(1 − α_t²)/α_t. §3.4
   */
  vpSigma(t: number): number {
    const n = this.alphasCumprod.length;
    const times = linspaceF32(0, 1, n + 1);
    const logAlpha = (i: number) => f32(0.5 * sleefLogf(this.alphasCumprod[i]));
    let k = 0;
    while (k < n - 2 && times[k + 2] < t) k++;
    const [x0, x1] = [times[k + 1], times[k + 2]];
    const [y0, y1] = [logAlpha(k), logAlpha(k + 1)];
    const logMean = f32(y0 + f32(f32(f32(t - x0) * f32(y1 - y0)) / f32(x1 - x0)));
    const alpha = sleefExpf(logMean);
    return Math.sqrt(f32(1 - sleefExpf(f32(2 * logMean)))) / alpha;
  }

  /** k-diffusion `get_sigmas(n)`: n levels evenly spaced in timestep from the last to 0, then 0 ("Automatic"/Uniform). */
  uniformSigmas(n: number): number[] {
    return [...linspaceF32(this.sigmas.length - 1, 0, n).map((t) => this.tToSigma(t)), 0];
  }
}

/** k-diffusion `DiscreteSchedule.t_to_sigma`: exp of log σ interpolated linearly at a fractional index, in float32. */
function interpolateLogSigma(logSigmas: Float32Array, t: number): number {
  const time = f32(t);
  const low = Math.floor(time);
  const high = Math.ceil(time);
  const w = f32(time - low);
  return sleefExpf(f32(f32(f32(1 - w) * logSigmas[low]) + f32(w * logSigmas[high])));
}

/**
 * A1111's LCM model wrap (`sd_samplers_lcm.LCMCompVisDenoiser`): the levels of LCM's 50 original timesteps
 * 19, 39, …, 999; the UNet gets the timestep of the nearest of them, and the "Automatic" schedule is even in timestep
 * between them.
 */
export class LcmSchedule {
  private static readonly ORIGINAL_STEPS = 50;
  private readonly skip: number;
  readonly sigmas: Float32Array;
  private readonly logSigmas: Float32Array;

  constructor(schedule: NoiseSchedule) {
    this.skip = Math.floor(schedule.sigmas.length / LcmSchedule.ORIGINAL_STEPS);
    const at = (i: number) => this.skip - 1 + this.skip * i;
    this.sigmas = Float32Array.from({ length: LcmSchedule.ORIGINAL_STEPS }, (_, i) => schedule.sigmas[at(i)]);
    this.logSigmas = Float32Array.from({ length: LcmSchedule.ORIGINAL_STEPS }, (_, i) => schedule.logSigmas[at(i)]);
  }

  get sigmaMin(): number {
    return this.sigmas[0];
  }

  get sigmaMax(): number {
    return this.sigmas[this.sigmas.length - 1];
  }

  /** `sigma_to_t`: the original timestep whose level is nearest in log σ (the first on a tie). */
  sigmaToT(sigma: number): number {
    const logSigma = sleefLogf(f32(sigma));
    let best = 0;
    for (let i = 1; i < this.logSigmas.length; i++) if (Math.abs(f32(logSigma - this.logSigmas[i])) < Math.abs(f32(logSigma - this.logSigmas[best]))) best = i;
    return best * this.skip + (this.skip - 1);
  }

  /** `get_sigmas(n)`: n timesteps evenly from 999 to 19, each at its place between the levels, then 0. */
  uniformSigmas(n: number): number[] {
    const last = this.sigmas.length - 1;
    const times = linspaceF32(this.sigmaToT(this.sigmaMax), this.sigmaToT(this.sigmaMin), n);
    return [...times.map((t) => interpolateLogSigma(this.logSigmas, Math.min(Math.max(f32(f32(t - (this.skip - 1)) / this.skip), 0), last))), 0];
  }
}

/** k-diffusion `get_sigmas_karras`: ramp in σ^(1/ρ) from max to min, then 0. Bounds are Python floats (double). */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): number[] {
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  const span = f32(minInvRho - maxInvRho);
  const start = f32(maxInvRho);
  const bases = linspaceF32(0, 1, n).map((r) => f32(start + f32(r * span)));
  return [...powTensorScalarF32(bases, rho), 0];
}

/** k-diffusion `get_sigmas_exponential`: evenly spaced in log σ from max to min, then 0. */
export function exponentialSigmas(n: number, sigmaMin: number, sigmaMax: number): number[] {
  return [...linspaceF32(Math.log(sigmaMax), Math.log(sigmaMin), n).map(sleefExpf), 0];
}


/**
 * A1111 `KDiffusionSampler.get_sigmas(p, steps)`: `steps` levels of the spacing between the model's σ_min and σ_max,
 * then 0; with `discardNextToLastSigma`, one more level is made and the next-to-last dropped. §3.2
 */
export function spacedSigmas(schedule: Pick<NoiseSchedule, 'sigmaMin' | 'sigmaMax' | 'uniformSigmas'>, spacing: SigmaSpacing, steps: number, discardNextToLastSigma = false): number[] {
  const n = discardNextToLastSigma ? steps + 1 : steps;
  const sigmas =
    spacing === 'karras'
      ? karrasSigmas(n, schedule.sigmaMin, schedule.sigmaMax)
      : spacing === 'exponential'
        ? exponentialSigmas(n, schedule.sigmaMin, schedule.sigmaMax)
        : schedule.uniformSigmas(n);
  return discardNextToLastSigma ? [...sigmas.slice(0, -2), 0] : sigmas;
}

/** Deforum's default strength, `0: (0.65)` (docs/deforum.md §d): the share of the init image img2img keeps. */
export const DEFAULT_STRENGTH = 0.65;

/**
 * A1111 `setup_img2img_steps` with Deforum's strength (denoise = 1 − strength): the schedule length and `t_enc`.
 * Default: `t_enc = int(min(denoise, 0.999)·steps)`. `exactSteps` (img2img_fix_steps, "do exactly the amount of
 * steps the slider specifies"): the schedule is stretched to `int(steps / min(denoise, 0.999))` so that exactly
 * `steps` steps run (a schedule of 0 when denoise is 0). §4.1
 */
export function img2imgSteps(steps: number, strength: number, exactSteps = false): { steps: number; tEnc: number } {
  const denoise = 1 - strength;
  if (exactSteps) return { steps: denoise > 0 ? Math.trunc(steps / Math.min(denoise, 0.999)) : 0, tEnc: steps - 1 };
  return { steps, tEnc: Math.trunc(Math.min(denoise, 0.999) * steps) };
}

/** A1111's DDIM timesteps, `clip(arange(0, T, T // steps) + 1, 0, T − 1)` (T = 1000 for SD): 20 → 1, 51, …, 951. §3.4 */
export function ddimTimesteps(steps: number, trainSteps = 1000): number[] {
  const stride = Math.floor(trainSteps / steps);
  if (stride < 1) throw new RangeError(`DDIM takes at most ${trainSteps} steps, got ${steps}`);
  const timesteps: number[] = [];
  for (let t = 0; t < trainSteps; t += stride) timesteps.push(Math.min(t + 1, trainSteps - 1));
  return timesteps;
}

export interface SigmaPlanRequest {
  /** The steps the user asked for (A1111's `p.steps`). */
  steps: number;
  sampler: SamplerName;
  /**
   * `automatic` is the sampler's own default spacing, as in A1111 ≥ 1.9 (DPM++ 2M → Karras, Euler → uniform).
   * DDIM ignores it: A1111's timestep samplers always use their own timesteps.
   */
  scheduler: SchedulerName;
  /**
   * Deforum strength for img2img (the share of the init image kept; denoise = 1 − strength), or undefined for txt2img.
   * Strength 0 is img2img over the whole schedule from σ_max, with the init latent still added; whether a frame
   * without an init image is txt2img instead is the caller's decision (Deforum's `strength_0_no_init`).
   */
  strength?: number;
  /** A1111's img2img_fix_steps; Deforum renders with it off. */
  exactSteps?: boolean;
  /** A1111's "always discard next-to-last sigma" option; on by default only for samplers that need it. */
  discardNextToLastSigma?: boolean;
  schedule: NoiseSchedule;
}

/**
 * What a sampler runs: noise levels from the start to the end (k-diffusion σ, ending at 0 for k-samplers), the UNet
 * timestep of each level the model is evaluated at, and how to build the start latent and read the result.
 */
export interface SigmaPlan {
  sampler: SamplerName;
  sigmas: number[];
  /** `sigmaToT` of every sigma but the last (integers for DDIM); one entry per sampler step. */
  timesteps: number[];
  /** The starting latent is `init·initLatent + noise·randn` (init 0 for txt2img). */
  start: { init: number; noise: number };
  /** Factor from the sampler's result to the latent the VAE decodes (1 except for DDIM's VP latent). */
  finalScale: number;
  /**
   * The positive σ range of the whole schedule before img2img cuts it, over which A1111 spans the SDE samplers'
   * Brownian tree (`create_noise_sampler(x, sigmas, p)`); k-samplers only.
   */
  noiseRange?: { min: number; max: number };
}

/** The sigma schedule, step count and start/end scalings of one txt2img or img2img run, as A1111 computes them. */
export function planSigmas(request: SigmaPlanRequest): SigmaPlan {
  const { steps, sampler, scheduler, strength, exactSteps = false, schedule } = request;
  if (!Number.isSafeInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer ≥ 1, got ${steps}`);
  if (strength !== undefined && !(strength >= 0 && strength <= 1)) throw new RangeError(`strength must be in [0, 1], got ${strength}`);
  const info = SAMPLER_TRAITS[sampler];
  const discard = request.discardNextToLastSigma ?? info.discardNextToLastSigma;
  const run = strength === undefined ? { steps, tEnc: steps - 1 } : img2imgSteps(steps, strength, exactSteps);
  // exactSteps at strength 1: A1111 makes an empty schedule, so the init latent comes back unchanged.
  if (run.steps < 1) return { sampler, sigmas: [0], timesteps: [], start: { init: 1, noise: 0 }, finalScale: 1 };
  if (sampler === 'unipc') return planUniPc(schedule, run, strength !== undefined, discard);
  if (info.kind === 'timestep') return planTimesteps(schedule, sampler, run, strength !== undefined, discard);
  const spacing = scheduler === 'automatic' ? info.defaultScheduler : scheduler;
  // LCM runs over its own 50 levels and quantised timesteps (A1111's LCM model wrap)
  const levels = sampler === 'lcm' ? new LcmSchedule(schedule) : schedule;
  const full = spacedSigmas(levels, spacing, run.steps, discard);
  const sigmas = full.slice(run.steps - run.tEnc - 1);
  const positive = full.filter((sigma) => sigma > 0);
  return {
    sampler,
    sigmas,
    noiseRange: { min: Math.min(...positive), max: Math.max(...positive) },
    timesteps: sigmas.slice(0, -1).map((sigma) => levels.sigmaToT(sigma)),
    start: { init: strength === undefined ? 0 : 1, noise: sigmas[0] },
    finalScale: 1,
  };
}

/**
 * A1111's DDIM (`sd_samplers_timesteps`), restated in k-diffusion's σ space so it runs over the same Denoiser: the
 * VP latent x_vp at ᾱ_t is x = x_vp/√ᾱ_t at σ_t = √((1−ᾱ_t)/ᾱ_t), the table σ whose `sigmaToT` is exactly t. The
 * loop evaluates timesteps[n−1] … timesteps[1] and ends at ᾱ of timesteps[0] (timestep 1 is never evaluated).
 * img2img noises the init latent to timesteps[t_enc] but runs timesteps[:t_enc], as A1111 does. §3.4
 */
function planTimesteps(schedule: NoiseSchedule, sampler: SamplerName, run: { steps: number; tEnc: number }, img2img: boolean, discard: boolean): SigmaPlan {
  const all = ddimTimesteps(run.steps + (discard ? 1 : 0), schedule.alphasCumprod.length);
  const scheduled = img2img ? all.slice(0, run.tEnc) : all;
  const levels = scheduled.length > 0 ? [...scheduled].reverse() : [all[0]];
  const alpha = (t: number): number => schedule.alphasCumprod[t];
  const first = Math.sqrt(alpha(levels[0]));
  const noisedAt = alpha(all[run.tEnc]);
  return {
    sampler,
    sigmas: levels.map((t) => schedule.sigmas[t]),
    timesteps: levels.slice(0, -1),
    start: img2img ? { init: Math.sqrt(noisedAt) / first, noise: Math.sqrt(1 - noisedAt) / first } : { init: 0, noise: 1 / first },
    finalScale: Math.sqrt(alpha(levels[levels.length - 1])),
  };
}

/**
 * A1111's UniPC (`sd_samplers_timesteps_impl.unipc`): as many steps as DDIM's timesteps (`t_enc` for img2img), from
 * continuous time t_T = 1 (img2img: the last scheduled timestep/1000 + 1/1000, though the latent is noised to
 * timesteps[t_enc] as for DDIM) evenly down to 1/N (`time_uniform`); the UNet gets (t − 1/N)·1000. Levels are
 * k-diffusion σ at those times; the sampler runs in VP space and the plan's scalings convert in and out. §3.4
 */
function planUniPc(schedule: NoiseSchedule, run: { steps: number; tEnc: number }, img2img: boolean, discard: boolean): SigmaPlan {
  const n = schedule.alphasCumprod.length;
  const all = ddimTimesteps(run.steps + (discard ? 1 : 0), n);
  const scheduled = img2img ? all.slice(0, run.tEnc) : all;
  const first = f32(1 / n);
  const tStart = img2img && scheduled.length > 0 ? f32(f32(scheduled[scheduled.length - 1] / n) + first) : 1;
  const times = linspaceF32(tStart, first, scheduled.length + 1);
  const sigmas = times.map((t) => schedule.vpSigma(t));
  const alpha = (sigma: number) => 1 / Math.sqrt(1 + sigma * sigma);
  const noisedAt = schedule.alphasCumprod[all[run.tEnc]];
  return {
    sampler: 'unipc',
    sigmas,
    timesteps: times.slice(0, -1).map((t) => f32(f32(t - first) * n)),
    start: img2img ? { init: Math.sqrt(noisedAt) / alpha(sigmas[0]), noise: Math.sqrt(1 - noisedAt) / alpha(sigmas[0]) } : { init: 0, noise: 1 / alpha(sigmas[0]) },
    finalScale: alpha(sigmas[sigmas.length - 1]),
  };
}
