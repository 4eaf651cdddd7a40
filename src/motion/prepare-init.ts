/**
 * Deforum's steps between the warp and img2img (docs/deforum.md §d, render.py's order): colour coherence against the
 * reference, contrast, anti-blur (unsharp mask), then frame noise drawn from the frame's seeded torch generator.
 */
import type { RawImage } from '../raw-image.js';
import { maintainColors, type ColorCoherence } from './color-coherence.js';
import { applyContrast } from './contrast.js';
import { addFrameNoise, type FrameNoiseSettings, type TorchRandom } from './frame-noise.js';
import { applyUnsharpMask, type UnsharpMask } from './unsharp-mask.js';

export interface InitPreparation {
  colorCoherence: ColorCoherence;
  contrast: number;
  /** amount 0 = off. */
  antiBlur: UnsharpMask;
  noise: FrameNoiseSettings & { amount: number };
}

/** `reference` is the colour-coherence sample (undefined until frame 0 exists, or without colour coherence). */
export function prepareInit(warped: RawImage, steps: InitPreparation, reference: RawImage | undefined, random: TorchRandom): RawImage {
  const matched = reference && steps.colorCoherence !== 'none' ? maintainColors(warped, reference, steps.colorCoherence) : warped;
  const contrasted = applyContrast(matched, steps.contrast);
  const sharpened = steps.antiBlur.amount > 0 ? applyUnsharpMask(contrasted, steps.antiBlur) : contrasted;
  return addFrameNoise(sharpened, steps.noise.amount, random, steps.noise);
}
