/**
 * The model as k-diffusion sees it: the denoised estimate x0 of a noisy latent x at noise level sigma,
 * with CFG (and ControlNet) already applied. Samplers take one and never see ONNX.
 */
export type Denoiser = (x: Float32Array, sigma: number) => Promise<Float32Array>;

export interface SampleOptions {
  /** The next draw from the image's torch-compatible generator, same length as x (k-diffusion's `randn_like`). */
  randnLike: () => Float32Array;
  /** Called after each sampler step (1-based step, total steps). */
  onStep?: (step: number, total: number) => void;
  signal?: AbortSignal;
}
