import type { RawImage } from '../raw-image.js';
import { roundHalfEven } from './rounding.js';

const f32 = Math.fround;

/** Deforum's noise types (docs/deforum.md §d, step 7). */
export const frameNoiseTypes = ['perlin', 'uniform'] as const;
export type FrameNoiseType = (typeof frameNoiseTypes)[number];

/** Deforum's `noise_type` and Perlin settings; the defaults are Deforum's (`args.py`: perlin, 8, 8, 4, 0.5). */
export interface FrameNoiseSettings {
  type: FrameNoiseType;
  /** Perlin cells across the height at the first octave (Deforum's `perlin_w`, which it applies to rows). */
  perlinW: number;
  /** Perlin cells across the width at the first octave (Deforum's `perlin_h`). */
  perlinH: number;
  perlinOctaves: number;
  perlinPersistence: number;
}

export const defaultFrameNoise: FrameNoiseSettings = { type: 'perlin', perlinW: 8, perlinH: 8, perlinOctaves: 4, perlinPersistence: 0.5 };

/**
 * The draws `add_noise` makes from its torch CPU generator, seeded with the frame's seed: `torch.randn` and
 * `torch.rand` of float32, continuing one stream. Pass `new TorchGenerator(seed)` (src/sampler/noise.ts).
 */
export interface TorchRandom {
  randn(numel: number): Float32Array;
  rand(numel: number): Float32Array;
}

/**
 * Deforum's `add_noise` (noise.py; docs/deforum.md §d step 7): `addWeighted(img, 1−amount, noise, amount, 0)`, where the
 * noise image is white noise `randn(3, H', W')` (H', W' rounded down to multiples of 64), times `(perlin + 1) / 2` for
 * Perlin, resized to the frame by nearest neighbour, mapped to bytes by `((n·0.5 + 0.5) clipped to 0..1)·255`
 * truncated. `random` must be freshly seeded with the frame's seed. Noise channel 0 goes to blue, as in Deforum's BGR
 * frames. Deforum resizes only Perlin noise (and fails on other sizes); we resize both, which is the same whenever
 * Deforum works.
 */
export function addFrameNoise(img: RawImage, amount: number, random: TorchRandom, settings: FrameNoiseSettings): RawImage {
  // addWeighted(img, 1, noise, 0, 0) is img exactly: skip the draws.
  if (amount === 0) return img;
  const { width, height, channels } = img;
  const h64 = height - (height % 64);
  const w64 = width - (width % 64);
  if (h64 === 0 || w64 === 0) throw new RangeError(`frame noise needs a frame of at least 64×64 (got ${width}×${height})`);
  const plane = h64 * w64;
  const noise = random.randn(3 * plane);
  if (settings.type === 'perlin') {
    const perlin = perlinOctaves(h64, w64, settings, random);
    for (let i = 0; i < plane; i++) perlin[i] = f32(perlin[i] + 1) / 2;
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < plane; i++) noise[c * plane + i] = f32(noise[c * plane + i] * perlin[i]);
  }
  const bytes = noiseToBytes(noise);
  const mix = addWeightedTable(amount);
  const rowIndex = nearestIndices(h64, height);
  const colIndex = nearestIndices(w64, width);
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < height; y++) {
    const rowStart = rowIndex[y] * w64;
    for (let x = 0, p = y * width * channels; x < width; x++, p += channels) {
      const q = rowStart + colIndex[x];
      out[p] = mix[(img.data[p] << 8) | bytes[2 * plane + q]];
      out[p + 1] = mix[(img.data[p + 1] << 8) | bytes[plane + q]];
      out[p + 2] = mix[(img.data[p + 2] << 8) | bytes[q]];
      for (let c = 3; c < channels; c++) out[p + c] = img.data[p + c];
    }
  }
  return { ...img, data: out };
}

/** `sample_to_cv2`: ((n·0.5 + 0.5) clipped to 0..1)·255 in float32, truncated to a byte. */
function noiseToBytes(noise: Float32Array): Uint8Array {
  const bytes = new Uint8Array(noise.length);
  for (let i = 0; i < noise.length; i++) {
    // n·0.5 is exact in float32; the sum and the product round.
    const unit = f32(noise[i] * 0.5 + 0.5);
    bytes[i] = f32((unit < 0 ? 0 : unit > 1 ? 1 : unit) * 255);
  }
  return bytes;
}

/**
 * `cv2.addWeighted(img, 1−amount, noise, amount, 0)` on bytes as a table indexed by (img << 8 | noise):
 * round(fma(a, 1−amount, fma(n, amount, 0))) in float32, as OpenCV's vector path computes it.
 */
function addWeightedTable(amount: number): Uint8Array {
  const alpha = f32(1 - amount);
  const beta = f32(amount);
  const table = new Uint8Array(256 * 256);
  for (let a = 0; a < 256; a++)
    for (let n = 0; n < 256; n++) table[(a << 8) | n] = Math.max(0, Math.min(255, roundHalfEven(f32(a * alpha + f32(n * beta)))));
  return table;
}

/** `F.interpolate(mode='nearest')` source indices: floor(i · in/out) in float32, clamped. */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = f32(inSize / outSize);
  return Int32Array.from({ length: outSize }, (_, i) => (inSize === outSize ? i : Math.min(inSize - 1, Math.floor(f32(i * scale)))));
}

/** `rand_perlin_2d_octaves`: octaves of Perlin noise at doubling resolution and `persistence`-scaled amplitude. */
function perlinOctaves(height: number, width: number, settings: FrameNoiseSettings, random: TorchRandom): Float32Array {
  const noise = new Float32Array(height * width);
  let frequency = 1;
  let amplitude = 1;
  for (let o = 0; o < Math.trunc(settings.perlinOctaves); o++) {
    const layer = perlin2d(height, width, frequency * Math.trunc(settings.perlinW), frequency * Math.trunc(settings.perlinH), random);
    const amp = f32(amplitude);
    for (let i = 0; i < noise.length; i++) noise[i] = f32(noise[i] + f32(amp * layer[i]));
    frequency *= 2;
    amplitude *= settings.perlinPersistence;
  }
  return noise;
}

const fade = (t: number) => f32(f32(f32(6 * f32(Math.pow(t, 5))) - f32(15 * f32(Math.pow(t, 4)))) + f32(10 * f32(f32(t * t) * t)));

/**
 * `torch.lerp` in float32: a + w(b − a) for |w| < 0.5, else b − (b − a)(1 − w). The weight comes prepared: `low`
 * says which branch, `weight` is w or 1 − w accordingly.
 */
const lerp = (a: number, b: number, low: boolean, weight: number) => (low ? f32(a + f32(weight * f32(b - a))) : f32(b - f32(f32(b - a) * weight)));

/**
 * `rand_perlin_2d(shape, res)` (Vadim Kantorovich's PyTorch gist, as Deforum's noise.py has it): random gradient
 * angles `2π·rand(res+1)` on a lattice of res cells, dot products with the offsets inside each cell, quintic fade,
 * scaled by √2. Cells are `height / resRows` pixels tall.
 */
function perlin2d(height: number, width: number, resRows: number, resCols: number, random: TorchRandom): Float32Array {
  const angles = random.rand((resRows + 1) * (resCols + 1));
  const twoPi = f32(2 * Math.PI);
  const gx = new Float32Array(angles.length);
  const gy = new Float32Array(angles.length);
  for (let i = 0; i < angles.length; i++) {
    const angle = f32(twoPi * angles[i]);
    gx[i] = f32(Math.cos(angle));
    gy[i] = f32(Math.sin(angle));
  }
  // Per row and per column: the position inside the cell (torch.arange(0, res, res/size) % 1, computed in double and
  // stored as float32), its fade, and the cell.
  const axis = (size: number, res: number) => {
    const step = res / size;
    const cellSize = Math.floor(size / res);
    const frac = new Float32Array(size);
    const low = new Uint8Array(size);
    const weight = new Float32Array(size);
    const cell = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const v = f32(i * step);
      frac[i] = f32(v - Math.floor(v));
      const t = fade(frac[i]);
      low[i] = Math.abs(t) < 0.5 ? 1 : 0;
      weight[i] = low[i] ? t : f32(1 - t);
      cell[i] = Math.min(res - 1, Math.floor(i / cellSize));
    }
    return { frac, low, weight, cell };
  };
  const rows = axis(height, resRows);
  const cols = axis(width, resCols);
  const out = new Float32Array(height * width);
  const sqrt2 = f32(Math.SQRT2);
  const lattice = resCols + 1;
  // Products of a corner's gradient with the offset along one axis, per column, for the current row of cells.
  const topX = new Float32Array(width);
  const bottomX = new Float32Array(width);
  const topX1 = new Float32Array(width);
  const bottomX1 = new Float32Array(width);
  let cellRow = -1;
  for (let y = 0; y < height; y++) {
    const top = rows.cell[y] * lattice;
    const bottom = top + lattice;
    if (rows.cell[y] !== cellRow) {
      cellRow = rows.cell[y];
      for (let x = 0; x < width; x++) {
        const fx = cols.frac[x];
        const fx1 = f32(fx - 1);
        const left = cols.cell[x];
        topX[x] = f32(fx * gy[top + left]);
        bottomX[x] = f32(fx * gy[bottom + left]);
        topX1[x] = f32(fx1 * gy[top + left + 1]);
        bottomX1[x] = f32(fx1 * gy[bottom + left + 1]);
      }
    }
    const fy = rows.frac[y];
    const fy1 = f32(fy - 1);
    const lowY = rows.low[y] === 1;
    const ty = rows.weight[y];
    for (let x = 0; x < width; x++) {
      const left = cols.cell[x];
      // Gradient · offset from each corner: (row offset, column offset) · (cos, sin).
      const n00 = f32(f32(fy * gx[top + left]) + topX[x]);
      const n10 = f32(f32(fy1 * gx[bottom + left]) + bottomX[x]);
      const n01 = f32(f32(fy * gx[top + left + 1]) + topX1[x]);
      const n11 = f32(f32(fy1 * gx[bottom + left + 1]) + bottomX1[x]);
      out[y * width + x] = f32(sqrt2 * lerp(lerp(n00, n10, lowY, ty), lerp(n01, n11, lowY, ty), cols.low[x] === 1, cols.weight[x]));
    }
  }
  return out;
}
