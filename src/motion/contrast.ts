import type { RawImage } from '../raw-image.js';
import { saturateByte } from './rounding.js';

/**
 * Deforum's contrast step, `(img * contrast).round()` (docs/deforum.md §d, step 5), clipped to 0..255. Deforum casts
 * with `astype(uint8)` and so wraps values above 255 to dark ones; the quirk table recommends clipping.
 */
export function applyContrast(img: RawImage, contrast: number): RawImage {
  const data = new Uint8Array(img.data.length);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = saturateByte(v * contrast);
  for (let i = 0; i < data.length; i++) data[i] = lut[img.data[i]];
  return { ...img, data };
}
