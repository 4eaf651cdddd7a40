import type { RawImage } from '../../src/raw-image.js';

/** The synthetic RGB pattern tools/fixtures/motion_*.py also build: a byte per channel from x, y and c. */
export function pattern(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (x * 7 + y * 13 + c * 50 + ((x * y) % 37)) % 256;
  return { width, height, channels: 3, data };
}

/** A black RGB image with white single pixels at the given points. */
export function dots(width: number, height: number, points: [number, number][]): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (const [x, y] of points) data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, channels: 3, data };
}

/** Intensity-weighted centroid of channel 0 within a window around (cx, cy). */
export function centroid(img: RawImage, cx: number, cy: number, radius: number): [number, number] {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = Math.max(0, cy - radius); y <= Math.min(img.height - 1, cy + radius); y++)
    for (let x = Math.max(0, cx - radius); x <= Math.min(img.width - 1, cx + radius); x++) {
      const v = img.data[(y * img.width + x) * img.channels];
      sum += v;
      sx += v * x;
      sy += v * y;
    }
  return [sx / sum, sy / sum];
}
