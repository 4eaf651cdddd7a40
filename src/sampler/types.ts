/**
 * The model as k-diffusion sees it: the denoised estimate x0 of a noisy latent x at noise level sigma,
 * with CFG (and ControlNet) already applied. Samplers take one and never see ONNX. `step` is the 0-based sampler step
 * the call belongs to (the steps reported so far), which prompt edits and ControlNet guidance ranges are counted in.
 */
export type Denoiser = (x: Float32Array, sigma: number, step: number) => Promise<Float32Array>;

/** Unit-variance noise for the step from sigma to next (k-diffusion's `noise_sampler(sigma, sigma_next)`). */
export type NoiseSampler = (sigma: number, next: number) => Float32Array;

export interface SampleOptions {
  /** The next draw from the image's torch-compatible generator, same length as x (k-diffusion's `randn_like`). */
  randnLike: () => Float32Array;
  /** The SDE samplers' noise: A1111 gives them a Brownian tree seeded by the image seed (see brownian-tree.ts). */
  brownianNoise?: NoiseSampler;
  /** A1111's "Eta for ancestral samplers" (`eta_ancestral`, default 1); also the SDE samplers' eta. */
  eta?: number;
  /** A1111's `s_noise` (default 1): scales the noise the ancestral and SDE samplers add. */
  sNoise?: number;
  /** Called after each sampler step (1-based step, total steps). */
  onStep?: (step: number, total: number) => void;
  signal?: AbortSignal;
}
