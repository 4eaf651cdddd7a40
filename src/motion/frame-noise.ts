import type { RawImage } from '../raw-image.js';
import { roundHalfEven } from './rounding.js';

const f32 = Math.fround;

/** Deforum's noise types (deforum.md §d, step 7). */
export const frameNoiseTypes = ['uniform', 'perlin'] as const;
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
 * `torch.rand` of float32, continuing one stream (src/sampler/noise.ts's `TorchGenerator`).
 */
export interface TorchRandom {
  randn(numel: number): Float32Array;
  rand(numel: number): Float32Array;
}

/**
 * Deforum's `add_noise` (noise.py; deforum.md §d step 7): `addWeighted(img, 1−amount, noise, amount, 0)`, where the
 * noise image is white noise `randn(3, H', W')` (H', W' rounded down to multiples of 64), times `(perlin + 1) / 2` for
 * Perlin, resized to the frame by nearest neighbour, mapped to bytes by `((n·0.5 + 0.5) clipped to 0..1)·255`
 * truncated. `random` must be freshly seeded with the frame's seed. Noise channel 0 goes to blue, as in Deforum's BGR
 * frames. Deforum resizes only Perlin noise (and fails on other sizes); we resize both, which is the same whenever
 * Deforum works.
 */
export function addFrameNoise(img: RawImage, amount: number, random: TorchRandom, settings: FrameNoiseSettings = defaultFrameNoise): RawImage {
  const { width, height, channels } = img;
  const h64 = height - (height % 64);
  const w64 = width - (width % 64);
  if (h64 === 0 || w64 === 0) throw new RangeError(`frame noise needs a frame of at least 64×64 (got ${width}×${height})`);
  const plane = h64 * w64;
  const noise = random.randn(3 * plane);
  if (settings.type === 'perlin') {
    const perlin = perlinOctaves(h64, w64, settings, random);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < plane; i++) noise[c * plane + i] = f32(noise[c * plane + i] * f32(f32(perlin[i] + 1) / 2));
  }
  const rowIndex = nearestIndices(h64, height);
  const colIndex = nearestIndices(w64, width);
  // addWeighted on bytes: round(fma(a, 1−amount, fma(n, amount, 0))) in float32, as OpenCV's vector path computes it.
  const alpha = f32(1 - amount);
  const beta = f32(amount);
  const mix = new Uint8Array(256 * 256);
  for (let a = 0; a < 256; a++)
    for (let n = 0; n < 256; n++) mix[a * 256 + n] = Math.max(0, Math.min(255, roundHalfEven(f32(a * alpha + f32(n * beta)))));
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      const q = rowIndex[y] * w64 + colIndex[x];
      for (let c = 0; c < 3; c++) {
        const n = noise[(2 - c) * plane + q];
        const byte = f32(Math.min(1, Math.max(0, f32(f32(n * 0.5) + 0.5))) * 255);
        out[p + c] = mix[img.data[p + c] * 256 + Math.trunc(byte)];
      }
      for (let c = 3; c < channels; c++) out[p + c] = img.data[p + c];
    }
  }
  return { ...img, data: out };
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

/** `torch.lerp` in float32: a + w(b − a) for |w| < 0.5, else b − (b − a)(1 − w). */
const lerp = (a: number, b: number, w: number) =>
  Math.abs(w) < 0.5 ? f32(a + f32(w * f32(b - a))) : f32(b - f32(f32(b - a) * f32(1 - w)));

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
  // torch.arange(0, res, res/size) % 1: the position inside the cell, computed in double and stored as float32.
  const rowStep = resRows / height;
  const colStep = resCols / width;
  const cellRows = Math.floor(height / resRows);
  const cellCols = Math.floor(width / resCols);
  const fracOf = (i: number, step: number) => {
    const v = f32(i * step);
    return f32(v - Math.floor(v));
  };
  const out = new Float32Array(height * width);
  const sqrt2 = f32(Math.SQRT2);
  for (let y = 0; y < height; y++) {
    const fy = fracOf(y, rowStep);
    const ty = fade(fy);
    const r0 = Math.min(resRows - 1, Math.floor(y / cellRows));
    for (let x = 0; x < width; x++) {
      const fx = fracOf(x, colStep);
      const tx = fade(fx);
      const c0 = Math.min(resCols - 1, Math.floor(x / cellCols));
      const dot = (r: number, c: number, dy: number, dx: number) => {
        const g = r * (resCols + 1) + c;
        return f32(f32(f32(fy + dy) * gx[g]) + f32(f32(fx + dx) * gy[g]));
      };
      const n00 = dot(r0, c0, 0, 0);
      const n10 = dot(r0 + 1, c0, -1, 0);
      const n01 = dot(r0, c0 + 1, 0, -1);
      const n11 = dot(r0 + 1, c0 + 1, -1, -1);
      out[y * width + x] = f32(sqrt2 * lerp(lerp(n00, n10, ty), lerp(n01, n11, ty), tx));
    }
  }
  return out;
}
