import type { RawImage } from '../raw-image.js';
import { saturateByte } from './rounding.js';

/**
 * A cadence in-between: `prev·(1−t) + next·t` (docs/deforum.md §d, cadence; `render.py:377-378`), rounded half to even
 * as `cv2.imwrite` rounds the float image Deforum writes. t = 0 gives `prev`, t = 1 gives `next`.
 */
export function blend(prev: RawImage, next: RawImage, t: number): RawImage {
  if (prev.width !== next.width || prev.height !== next.height || prev.channels !== next.channels) {
    throw new RangeError(`blend: images differ in size (${prev.width}×${prev.height}×${prev.channels} vs ${next.width}×${next.height}×${next.channels})`);
  }
  const data = new Uint8Array(prev.data.length);
  const s = 1 - t;
  for (let i = 0; i < data.length; i++) data[i] = saturateByte(prev.data[i] * s + next.data[i] * t);
  return { ...prev, data };
}
