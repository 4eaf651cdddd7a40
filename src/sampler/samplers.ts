/**
 * k-diffusion's samplers (k_diffusion/sampling.py @4601bf0) and A1111's DDIM as pure async functions over a
 * Denoiser: each takes the start latent and the sigma schedule and returns the final latent. sd-pipeline.md §3.3, §3.4.
 * Element arithmetic is done in double and stored as float32, so results agree with torch's float32 to rounding.
 */
import type { SamplerName } from '../keyframes/sampler-names.js';
import type { SigmaPlan, SigmaSpacing } from './sigmas.js';
import { f32 } from './torch-float32.js';
import type { Denoiser, SampleOptions } from './types.js';

export type SamplerRun = (denoiser: Denoiser, x: Float32Array, sigmas: readonly number[], options: SampleOptions) => Promise<Float32Array>;

export interface SamplerInfo {
  run: SamplerRun;
  /** Two denoiser calls per step: A1111 counts prompt-edit steps over 2·steps for these (§1.1). */
  secondOrder: boolean;
  /** Ancestral noise comes from `Generator(seed + ENSD)` when A1111's eta noise seed delta is set (§4.3). */
  usesEnsd: boolean;
  /** What A1111's "Automatic" scheduler means for this sampler (v1.9 table, §3.2). */
  defaultScheduler: SigmaSpacing;
  /** `k`: runs over a sigma schedule; `timestep`: A1111's timestep samplers (DDIM), planned from DDPM timesteps. */
  kind: 'k' | 'timestep';
  discardNextToLastSigma: boolean;
}

/** Steps through a schedule, checking for cancellation and reporting progress around each step. */
async function forEachStep(sigmas: readonly number[], options: SampleOptions, step: (i: number, sigma: number, next: number) => Promise<void>): Promise<void> {
  const total = sigmas.length - 1;
  for (let i = 0; i < total; i++) {
    options.signal?.throwIfAborted();
    await step(i, sigmas[i], sigmas[i + 1]);
    options.onStep?.(i + 1, total);
  }
}

/** x + (x − denoised)/σ · dt: an Euler step along k-diffusion's `to_d`. */
function eulerStep(x: Float32Array, denoised: Float32Array, sigma: number, dt: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = x[j] + ((x[j] - denoised[j]) / sigma) * dt;
  return out;
}

/** `sample_euler` (s_churn 0). It still draws `randn_like` every step, so it uses up the noise stream. */
const euler: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (_i, sigma, next) => {
    options.randnLike();
    x = eulerStep(x, await denoiser(x, sigma), sigma, next - sigma);
  });
  return x;
};

/** `get_ancestral_step` with eta 1: the deterministic target σ_down and the noise σ_up to add. */
function ancestralStep(from: number, to: number): { down: number; up: number } {
  const up = Math.min(to, Math.sqrt((to ** 2 * (from ** 2 - to ** 2)) / from ** 2));
  return { down: Math.sqrt(to ** 2 - up ** 2), up };
}

/** `sample_euler_ancestral` (eta 1, s_noise 1): Euler to σ_down, then fresh noise of σ_up (none on the last step). */
const eulerAncestral: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (_i, sigma, next) => {
    const denoised = await denoiser(x, sigma);
    const { down, up } = ancestralStep(sigma, next);
    x = eulerStep(x, denoised, sigma, down - sigma);
    if (next > 0) {
      const noise = options.randnLike();
      for (let j = 0; j < x.length; j++) x[j] = x[j] + noise[j] * up;
    }
  });
  return x;
};

/** `sample_heun` (s_churn 0): Euler predictor, trapezoid corrector; one call on the step to σ = 0. Draws eps too. */
const heun: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (_i, sigma, next) => {
    options.randnLike();
    const denoised = await denoiser(x, sigma);
    const dt = next - sigma;
    const predicted = eulerStep(x, denoised, sigma, dt);
    if (next === 0) {
      x = predicted;
      return;
    }
    const denoised2 = await denoiser(predicted, next);
    const out = new Float32Array(x.length);
    for (let j = 0; j < x.length; j++) {
      const d = (x[j] - denoised[j]) / sigma;
      const d2 = (predicted[j] - denoised2[j]) / next;
      out[j] = x[j] + ((d + d2) / 2) * dt;
    }
    x = out;
  });
  return x;
};

/** `sample_dpmpp_2m`: second-order multistep in t = −log σ, first order on the first and the last step. */
const dpmpp2m: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  let previous: Float32Array | undefined;
  await forEachStep(sigmas, options, async (i, sigma, next) => {
    const denoised = await denoiser(x, sigma);
    const out = new Float32Array(x.length);
    if (next === 0) {
      out.set(denoised);
    } else {
      const h = Math.log(sigma) - Math.log(next);
      const ratio = next / sigma;
      const blend = -Math.expm1(-h);
      if (previous === undefined) {
        for (let j = 0; j < x.length; j++) out[j] = ratio * x[j] + blend * denoised[j];
      } else {
        const r = (Math.log(sigmas[i - 1]) - Math.log(sigma)) / h;
        const a = 1 + 1 / (2 * r);
        const b = 1 / (2 * r);
        for (let j = 0; j < x.length; j++) out[j] = ratio * x[j] + blend * (a * denoised[j] - b * previous[j]);
      }
    }
    previous = denoised;
    x = out;
  });
  return x;
};

// 4-point Gauss–Legendre: exact for the degree ≤ 3 Lagrange polynomials of order-4 LMS.
const GAUSS_NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GAUSS_WEIGHTS = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/** `linear_multistep_coeff`: ∫ from σ_i to σ_{i+1} of the Lagrange basis polynomial of σ_{i−j} over σ_{i−order+1..i}. */
export function lmsCoefficient(order: number, sigmas: readonly number[], i: number, j: number): number {
  const basis = (tau: number): number => {
    let product = 1;
    for (let k = 0; k < order; k++) {
      if (k !== j) product *= (tau - sigmas[i - k]) / (sigmas[i - j] - sigmas[i - k]);
    }
    return product;
  };
  const [a, b] = [sigmas[i], sigmas[i + 1]];
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  return half * GAUSS_NODES.reduce((sum, node, k) => sum + GAUSS_WEIGHTS[k] * basis(mid + half * node), 0);
}

/** `sample_lms` (order 4): a linear multistep over the last ≤ 4 derivatives. */
const lms: SamplerRun = async (denoiser, start, sigmas, options) => {
  const order = 4;
  let x = start;
  const derivatives: Float32Array[] = [];
  await forEachStep(sigmas, options, async (i, sigma) => {
    const denoised = await denoiser(x, sigma);
    const d = new Float32Array(x.length);
    for (let j = 0; j < x.length; j++) d[j] = (x[j] - denoised[j]) / sigma;
    derivatives.push(d);
    if (derivatives.length > order) derivatives.shift();
    const current = Math.min(i + 1, order);
    const coefficients = Array.from({ length: current }, (_, j) => lmsCoefficient(current, sigmas, i, j));
    const out = new Float32Array(x.length);
    for (let e = 0; e < x.length; e++) {
      let sum = 0;
      for (let j = 0; j < current; j++) sum += coefficients[j] * derivatives[derivatives.length - 1 - j][e];
      out[e] = x[e] + sum;
    }
    x = out;
  });
  return x;
};

/**
 * A1111's DDIM at eta 0 in σ space (see `planSigmas`): x_prev = D + σ_prev·(x − D)/σ, which is
 * √ᾱ_prev·pred_x0 + √(1−ᾱ_prev)·ε divided by √ᾱ_prev. A1111 draws `randn_like` on every step even at eta 0.
 */
const ddim: SamplerRun = async (denoiser, start, sigmas, options) => {
  let x = start;
  await forEachStep(sigmas, options, async (_i, sigma, next) => {
    const denoised = await denoiser(x, sigma);
    options.randnLike();
    const out = new Float32Array(x.length);
    const ratio = next / sigma;
    for (let j = 0; j < x.length; j++) out[j] = denoised[j] + (x[j] - denoised[j]) * ratio;
    x = out;
  });
  return x;
};

/** The samplers deforum-ts ships, with A1111's options for each (§3.2). */
export const SAMPLERS: Record<SamplerName, SamplerInfo> = {
  euler: { run: euler, secondOrder: false, usesEnsd: false, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false },
  euler_a: { run: eulerAncestral, secondOrder: false, usesEnsd: true, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false },
  heun: { run: heun, secondOrder: true, usesEnsd: false, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false },
  dpmpp_2m: { run: dpmpp2m, secondOrder: false, usesEnsd: false, defaultScheduler: 'karras', kind: 'k', discardNextToLastSigma: false },
  lms: { run: lms, secondOrder: false, usesEnsd: false, defaultScheduler: 'uniform', kind: 'k', discardNextToLastSigma: false },
  ddim: { run: ddim, secondOrder: false, usesEnsd: false, defaultScheduler: 'uniform', kind: 'timestep', discardNextToLastSigma: false },
};

/** Runs a sampler from latent x over a sigma schedule; x is not modified. */
export function sample(name: SamplerName, denoiser: Denoiser, x: Float32Array, sigmas: readonly number[], options: SampleOptions): Promise<Float32Array> {
  return SAMPLERS[name].run(denoiser, x, sigmas, options);
}

/**
 * Runs a planned txt2img or img2img pass: builds the start latent from the noise (and the init latent for img2img,
 * `init + noise·σ₀` rounded as torch rounds it), samples, and returns the latent the VAE decodes.
 */
export async function samplePlan(plan: SigmaPlan, denoiser: Denoiser, latents: { noise: Float32Array; init?: Float32Array }, options: SampleOptions): Promise<Float32Array> {
  const { noise } = latents;
  const { init: initScale, noise: noiseScale } = plan.start;
  if (initScale !== 0 && latents.init === undefined) throw new Error('an img2img plan needs the init latent');
  const init = latents.init ?? new Float32Array(noise.length);
  if (init.length !== noise.length) throw new Error(`init latent has ${init.length} values, noise ${noise.length}`);
  const x = new Float32Array(noise.length);
  for (let j = 0; j < x.length; j++) x[j] = init[j] * initScale + f32(noise[j] * noiseScale);
  const result = await sample(plan.sampler, denoiser, x, plan.sigmas, options);
  if (plan.finalScale === 1) return result;
  return result.map((v) => v * plan.finalScale);
}
