import { f32, fma32 } from '../sampler/torch-float32.js';

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

/** A bicubic tap index after the padding mode (applied to each tap), or −1 when zeros padding drops it. */
function tapIndex(i: number, size: number, padding: PaddingMode): number {
  if (padding === 'zeros') return i > -1 && i < size ? i : -1;
  return Math.trunc(padding === 'border' ? clip(i, size) : reflect(i, size));
}

/**
 * The four cubic convolution weights for fraction t (Keys, A = −0.75), rounded as torch's build computes them: GCC
 * fuses the exact constant products (5A, 8A, 4A) rather than the ones in x, so the outer weights are rounded at every
 * step, and `((A+2)x − (A+3))·x·x + 1` ends in one FMA.
 */
function cubicCoefficients(t: number, out: Float64Array): void {
  const outer = (x: number) => f32(f32(f32(f32(f32(f32(A * x) - 5 * A) * x) + 8 * A) * x) - 4 * A);
  const inner = (x: number) => fma32(f32(fma32(A + 2, x, -(A + 3)) * x), x, 1);
  out[0] = outer(f32(t + 1));
  out[1] = inner(t);
  out[2] = inner(f32(1 - t));
  out[3] = outer(f32(2 - t));
}

/**
 * `c0·v0 + c1·v1 + c2·v2 + c3·v3` along x as GCC compiled it: the first product fused into the first addition, the
 * other two rounded and added (measured against torch 1.13).
 */
function cubicSumX(c: Float64Array, v0: number, v1: number, v2: number, v3: number): number {
  return f32(f32(fma32(c[0], v0, f32(c[1] * v1)) + f32(c[2] * v2)) + f32(c[3] * v3));
}

/** The same sum along y: every product after the first fused (measured against torch 1.13). */
function cubicSumY(c: Float64Array, v0: number, v1: number, v2: number, v3: number): number {
  return fma32(c[3], v3, fma32(c[2], v2, fma32(c[1], v1, f32(c[0] * v0))));
}

function sampleBicubic(src: FloatImage, gx: number, gy: number, padding: PaddingMode, out: Float32Array, o: number, cx: Float64Array, cy: Float64Array, xs: Int32Array, ys: Int32Array, lines: Float64Array): void {
  const { width, height, channels, data } = src;
  const x = unnormalize(gx, width);
  const y = unnormalize(gy, height);
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  cubicCoefficients(f32(x - ix), cx);
  cubicCoefficients(f32(y - iy), cy);
  for (let k = 0; k < 4; k++) {
    xs[k] = tapIndex(ix - 1 + k, width, padding);
    ys[k] = tapIndex(iy - 1 + k, height, padding);
  }
  for (let c = 0; c < channels; c++) {
    for (let r = 0; r < 4; r++) {
      const row = ys[r] * width;
      const at = (k: number) => (ys[r] < 0 || xs[k] < 0 ? 0 : data[(row + xs[k]) * channels + c]);
      lines[r] = cubicSumX(cx, at(0), at(1), at(2), at(3));
    }
    out[o + c] = cubicSumY(cy, lines[0], lines[1], lines[2], lines[3]);
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
  const inX = (i: number) => i > -1 && i < width;
  const inY = (i: number) => i > -1 && i < height;
  const at = (xi: number, yi: number, c: number) => (inX(xi) && inY(yi) ? data[(yi * width + xi) * channels + c] : 0);
  for (let c = 0; c < channels; c++) {
    out[o + c] = fma32(at(xw + 1, yn + 1, c), se, fma32(at(xw, yn + 1, c), sw, fma32(at(xw + 1, yn, c), ne, f32(at(xw, yn, c) * nw))));
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

/** Samples `src` at every grid location. */
export function gridSample(src: FloatImage, grid: Float32Array, gridWidth: number, gridHeight: number, mode: SamplingMode, padding: PaddingMode): FloatImage {
  const out = new Float32Array(gridWidth * gridHeight * src.channels);
  const cx = new Float64Array(4);
  const cy = new Float64Array(4);
  const xs = new Int32Array(4);
  const ys = new Int32Array(4);
  const lines = new Float64Array(4);
  for (let p = 0, o = 0; p < gridWidth * gridHeight; p++, o += src.channels) {
    const gx = grid[2 * p];
    const gy = grid[2 * p + 1];
    if (mode === 'bicubic') sampleBicubic(src, gx, gy, padding, out, o, cx, cy, xs, ys, lines);
    else if (mode === 'bilinear') sampleBilinear(src, gx, gy, padding, out, o);
    else sampleNearest(src, gx, gy, padding, out, o);
  }
  return { width: gridWidth, height: gridHeight, channels: src.channels, data: out };
}
