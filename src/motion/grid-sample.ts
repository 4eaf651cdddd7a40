import { f32, fma32 } from '../numerics/torch-float32.js';

/**
 * torch's `grid_sample(input, grid, mode, padding_mode, align_corners=False)` on the CPU, float32, as torch 1.13's
 * vectorised AVX2 kernel (`GridSamplerKernel.cpp`) computes it: GCC fuses its multiply-adds into FMAs, restated here
 * with `fma32`. The input is H×W×C float32 (interleaved, as Deforum's cv2 image), the grid H×W×2 in [-1, 1] (x, y),
 * the output has the grid's size. docs/deforum-3d.md §8.
 */
export const samplingModes = ['bicubic', 'bilinear', 'nearest'] as const;
export type SamplingMode = (typeof samplingModes)[number];
export const paddingModes = ['border', 'reflection', 'zeros'] as const;
export type PaddingMode = (typeof paddingModes)[number];

export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

// torch's cubic convolution constant (UpSampleBicubic2d.h, used by grid_sample): A = −0.75.
const A = -0.75;

/** Pixel coordinate of a normalised one with align_corners=False: `(g + 1)·size/2 − 0.5`, one FMA. */
function unnormalize(g: number, size: number): number {
  return fma32(f32(g + 1), size / 2, -0.5);
}

/** Clamps to [0, size−1]; NaN becomes 0 (torch's operand order in `clip_coordinates`). */
function clip(v: number, size: number): number {
  return v > 0 ? (v < size - 1 ? v : size - 1) : 0;
}

/** Reflects about −0.5 and size−0.5 (align_corners=False), then clips. */
function reflect(v: number, size: number): number {
  const twiceSpan = size * 2;
  const absIn = Math.abs(f32(v + 0.5));
  const flips = Math.trunc(f32(absIn / twiceSpan));
  const extra = fma32(-flips, twiceSpan, absIn);
  return clip(f32(Math.min(extra, f32(twiceSpan - extra)) - 0.5), size);
}

/** A location after the padding mode, for bilinear and nearest (applied to the coordinate). */
function paddedLocation(v: number, size: number, padding: PaddingMode): number {
  if (padding === 'border') return clip(v, size);
  if (padding === 'reflection') return reflect(v, size);
  return v;
}

/** A bicubic tap's element offset (index·step) after the padding mode, applied to each tap; −1 when zeros drops it. */
function tapOffset(i: number, size: number, padding: PaddingMode, step: number): number {
  if (padding === 'zeros') return i > -1 && i < size ? i * step : -1;
  return Math.trunc(padding === 'border' ? clip(i, size) : reflect(i, size)) * step;
}

/**
 * Outer cubic convolution weight (1 < x < 2, Keys, A = −0.75), rounded as torch's build computes it: GCC fuses the
 * exact constant products (5A, 8A, 4A) rather than the ones in x, so every step is rounded.
 */
function cubicOuter(x: number): number {
  return f32(f32(f32(f32(f32(f32(A * x) - 5 * A) * x) + 8 * A) * x) - 4 * A);
}

/** Inner weight (x ≤ 1): `((A+2)x − (A+3))·x·x + 1`, ending in one FMA. */
function cubicInner(x: number): number {
  return fma32(f32(fma32(A + 2, x, -(A + 3)) * x), x, 1);
}

/**
 * `c0·v0 + c1·v1 + c2·v2 + c3·v3` along x as GCC compiled it: the first product fused into the first addition, the
 * other two rounded and added (measured against torch 1.13).
 */
function cubicSumX(c0: number, c1: number, c2: number, c3: number, v0: number, v1: number, v2: number, v3: number): number {
  return f32(f32(fma32(c0, v0, f32(c1 * v1)) + f32(c2 * v2)) + f32(c3 * v3));
}

/** The same sum along y: every product after the first fused (measured against torch 1.13). */
function cubicSumY(c0: number, c1: number, c2: number, c3: number, v0: number, v1: number, v2: number, v3: number): number {
  return fma32(c3, v3, fma32(c2, v2, fma32(c1, v1, f32(c0 * v0))));
}

/** One source value, or 0 for a tap that zeros padding dropped (offset −1). */
function tap(data: Float32Array, row: number, column: number, c: number): number {
  return row < 0 || column < 0 ? 0 : data[row + column + c];
}

/** A tap's element offset, or `guard` (a zero pixel) when zeros padding dropped its row or column (offset −1). */
function tapAt(row: number, column: number, guard: number): number {
  return row < 0 || column < 0 ? guard : row + column;
}

function sampleBicubic(src: FloatImage, gx: number, gy: number, padding: PaddingMode, out: Float32Array, o: number): void {
  const { width, height, channels, data } = src;
  const x = unnormalize(gx, width);
  const y = unnormalize(gy, height);
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const tx = f32(x - ix);
  const ty = f32(y - iy);
  const cx0 = cubicOuter(f32(tx + 1));
  const cx1 = cubicInner(tx);
  const cx2 = cubicInner(f32(1 - tx));
  const cx3 = cubicOuter(f32(2 - tx));
  const cy0 = cubicOuter(f32(ty + 1));
  const cy1 = cubicInner(ty);
  const cy2 = cubicInner(f32(1 - ty));
  const cy3 = cubicOuter(f32(2 - ty));
  // Element offsets of the four columns and rows, −1 where zeros padding drops the tap.
  const stride = width * channels;
  const x0 = tapOffset(ix - 1, width, padding, channels);
  const x1 = tapOffset(ix, width, padding, channels);
  const x2 = tapOffset(ix + 1, width, padding, channels);
  const x3 = tapOffset(ix + 2, width, padding, channels);
  const y0 = tapOffset(iy - 1, height, padding, stride);
  const y1 = tapOffset(iy, height, padding, stride);
  const y2 = tapOffset(iy + 1, height, padding, stride);
  const y3 = tapOffset(iy + 2, height, padding, stride);
  // The sixteen taps' element offsets; one that zeros padding drops reads the zero just past the pixels.
  const guard = data.length - channels;
  const t00 = tapAt(y0, x0, guard), t01 = tapAt(y0, x1, guard), t02 = tapAt(y0, x2, guard), t03 = tapAt(y0, x3, guard);
  const t10 = tapAt(y1, x0, guard), t11 = tapAt(y1, x1, guard), t12 = tapAt(y1, x2, guard), t13 = tapAt(y1, x3, guard);
  const t20 = tapAt(y2, x0, guard), t21 = tapAt(y2, x1, guard), t22 = tapAt(y2, x2, guard), t23 = tapAt(y2, x3, guard);
  const t30 = tapAt(y3, x0, guard), t31 = tapAt(y3, x1, guard), t32 = tapAt(y3, x2, guard), t33 = tapAt(y3, x3, guard);
  for (let c = 0; c < channels; c++) {
    const l0 = cubicSumX(cx0, cx1, cx2, cx3, data[t00 + c], data[t01 + c], data[t02 + c], data[t03 + c]);
    const l1 = cubicSumX(cx0, cx1, cx2, cx3, data[t10 + c], data[t11 + c], data[t12 + c], data[t13 + c]);
    const l2 = cubicSumX(cx0, cx1, cx2, cx3, data[t20 + c], data[t21 + c], data[t22 + c], data[t23 + c]);
    const l3 = cubicSumX(cx0, cx1, cx2, cx3, data[t30 + c], data[t31 + c], data[t32 + c], data[t33 + c]);
    out[o + c] = cubicSumY(cy0, cy1, cy2, cy3, l0, l1, l2, l3);
  }
}

function sampleBilinear(src: FloatImage, gx: number, gy: number, padding: PaddingMode, out: Float32Array, o: number): void {
  const { width, height, channels, data } = src;
  const x = paddedLocation(unnormalize(gx, width), width, padding);
  const y = paddedLocation(unnormalize(gy, height), height, padding);
  const xw = Math.floor(x);
  const yn = Math.floor(y);
  const w = f32(x - xw);
  const e = f32(1 - w);
  const n = f32(y - yn);
  const s = f32(1 - n);
  const nw = f32(s * e);
  const ne = f32(s * w);
  const sw = f32(n * e);
  const se = f32(n * w);
  // Offsets of the two columns and rows, −1 outside the image (torch masks those taps to 0).
  const west = xw > -1 && xw < width ? xw * channels : -1;
  const east = xw + 1 > -1 && xw + 1 < width ? (xw + 1) * channels : -1;
  const north = yn > -1 && yn < height ? yn * width * channels : -1;
  const south = yn + 1 > -1 && yn + 1 < height ? (yn + 1) * width * channels : -1;
  for (let c = 0; c < channels; c++) {
    out[o + c] = fma32(tap(data, south, east, c), se, fma32(tap(data, south, west, c), sw, fma32(tap(data, north, east, c), ne, f32(tap(data, north, west, c) * nw))));
  }
}

function sampleNearest(src: FloatImage, gx: number, gy: number, padding: PaddingMode, out: Float32Array, o: number): void {
  const { width, height, channels, data } = src;
  const xi = roundHalfEvenF(paddedLocation(unnormalize(gx, width), width, padding));
  const yi = roundHalfEvenF(paddedLocation(unnormalize(gy, height), height, padding));
  const inside = xi > -1 && xi < width && yi > -1 && yi < height;
  for (let c = 0; c < channels; c++) out[o + c] = inside ? data[(yi * width + xi) * channels + c] : 0;
}

/** `_mm256_round_ps` to nearest, ties to even. */
function roundHalfEvenF(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function withZeroPixel(data: Float32Array, channels: number): Float32Array {
  const padded = new Float32Array(data.length + channels);
  padded.set(data);
  return padded;
}

/** Samples `src` at every grid location. */
export function gridSample(src: FloatImage, grid: Float32Array, gridWidth: number, gridHeight: number, mode: SamplingMode, padding: PaddingMode): FloatImage {
  const out = new Float32Array(gridWidth * gridHeight * src.channels);
  const sample = mode === 'bicubic' ? sampleBicubic : mode === 'bilinear' ? sampleBilinear : sampleNearest;
  // Bicubic reads a dropped tap from one zero pixel past the image (zeros padding), so every tap is a plain read.
  const source = mode === 'bicubic' ? { ...src, data: withZeroPixel(src.data, src.channels) } : src;
  for (let p = 0, o = 0; p < gridWidth * gridHeight; p++, o += src.channels) sample(source, grid[2 * p], grid[2 * p + 1], padding, out, o);
  return { width: gridWidth, height: gridHeight, channels: src.channels, data: out };
}
