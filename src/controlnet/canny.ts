/**
 * OpenCV 4.6's `cv2.Canny(image, low, high)` with its defaults (aperture 3, L1 gradient), ported from the rules of
 * imgproc/src/canny.cpp so that the edge map is byte-identical (docs/sd-pipeline.md, canny preprocessor). All integer:
 * - Sobel 3×3 per channel (`[-1 0 1]` × `[1 2 1]`, edges replicated); per pixel the channel with the largest
 *   |dx| + |dy| is kept, the first one on ties;
 * - non-maximum suppression on the magnitude (0 outside the image), with OpenCV's fixed-point tangent test
 *   (`tan 22.5° ≈ 13573 / 2¹⁵`): a horizontal gradient keeps `m > left && m ≥ right`, a vertical one
 *   `m > up && m ≥ down`, a diagonal one `m > both diagonal neighbours`;
 * - a survivor above `floor(low)` is a candidate, above `floor(high)` an edge (the thresholds are swapped when
 *   low > high), and hysteresis keeps the candidates 8-connected to an edge.
 * The map is one channel, 0 or 255.
 */
import { createMat8, type Mat8 } from './cv-mat.js';

const TG22 = 13573; // (int)(tan(22.5°)·2^15 + 0.5)

/** dx, dy of the channel with the largest L1 gradient, and that magnitude, per pixel. */
function gradients(image: Mat8): { dx: Int16Array; dy: Int16Array; magnitude: Int32Array } {
  const { width, height, channels, data } = image;
  const dx = new Int16Array(width * height);
  const dy = new Int16Array(width * height);
  const magnitude = new Int32Array(width * height);
  const row = width * channels;
  for (let y = 0; y < height; y++) {
    const up = Math.max(y - 1, 0) * row;
    const mid = y * row;
    const down = Math.min(y + 1, height - 1) * row;
    for (let x = 0; x < width; x++) {
      const left = Math.max(x - 1, 0) * channels;
      const centre = x * channels;
      const right = Math.min(x + 1, width - 1) * channels;
      let best = -1;
      for (let c = 0; c < channels; c++) {
        const gx = data[up + right + c] - data[up + left + c] + 2 * (data[mid + right + c] - data[mid + left + c]) + data[down + right + c] - data[down + left + c];
        const gy = data[down + left + c] - data[up + left + c] + 2 * (data[down + centre + c] - data[up + centre + c]) + data[down + right + c] - data[up + right + c];
        const m = Math.abs(gx) + Math.abs(gy);
        if (m > best) {
          best = m;
          dx[y * width + x] = gx;
          dy[y * width + x] = gy;
        }
      }
      magnitude[y * width + x] = best;
    }
  }
  return { dx, dy, magnitude };
}

const CANDIDATE = 1;
const EDGE = 2;

export function canny(image: Mat8, lowThreshold: number, highThreshold: number): Mat8 {
  const [low, high] = (lowThreshold > highThreshold ? [highThreshold, lowThreshold] : [lowThreshold, highThreshold]).map(Math.floor);
  const { width, height } = image;
  const { dx, dy, magnitude } = gradients(image);
  const mag = (x: number, y: number) => (x < 0 || x >= width || y < 0 || y >= height ? 0 : magnitude[y * width + x]);

  const state = new Uint8Array(width * height);
  const stack: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const m = magnitude[i];
      if (m <= low) continue;
      const xs = dx[i];
      const ys = dy[i];
      const ax = Math.abs(xs);
      const ay = Math.abs(ys) * 32768;
      const tg22x = ax * TG22;
      let peak: boolean;
      if (ay < tg22x) peak = m > mag(x - 1, y) && m >= mag(x + 1, y);
      else if (ay > tg22x + ax * 65536) peak = m > mag(x, y - 1) && m >= mag(x, y + 1);
      else {
        const s = (xs < 0) !== (ys < 0) ? -1 : 1;
        peak = m > mag(x - s, y - 1) && m > mag(x + s, y + 1);
      }
      if (!peak) continue;
      state[i] = m > high ? EDGE : CANDIDATE;
      if (m > high) stack.push(i);
    }
  }

  while (stack.length > 0) {
    const i = stack.pop() as number;
    const x = i % width;
    const y = (i - x) / width;
    for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
      for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
        const n = ny * width + nx;
        if (state[n] === CANDIDATE) {
          state[n] = EDGE;
          stack.push(n);
        }
      }
    }
  }

  const edges = createMat8(width, height, 1);
  for (let i = 0; i < state.length; i++) if (state[i] === EDGE) edges.data[i] = 255;
  return edges;
}
