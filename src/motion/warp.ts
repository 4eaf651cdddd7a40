import type { RawImage } from '../raw-image.js';
import { roundHalfEven } from './rounding.js';

/** Border modes for pixels that come from outside the previous frame (docs/deforum.md §d: Deforum's `border`). */
export const borderModes = ['replicate', 'wrap', 'reflect'] as const;
export type BorderMode = (typeof borderModes)[number];

/** One frame's 2D motion relative to the previous frame, as Deforum's 2D mode schedules it (docs/deforum.md §d). */
export interface Motion2D {
  /** Scale factor about the centre; 1 = static, > 1 zooms in. */
  zoom: number;
  /** Degrees, counter-clockwise positive (OpenCV's `getRotationMatrix2D`). */
  angle: number;
  /** Pixels; positive moves content right. */
  translationX: number;
  /** Pixels; positive moves content down. */
  translationY: number;
  /** Rotation/zoom centre as a fraction of the width (Deforum's `transform_center_x`, default 0.5). */
  centerX?: number;
  /** Rotation/zoom centre as a fraction of the height (Deforum's `transform_center_y`, default 0.5). */
  centerY?: number;
}

/** Row-major 3×3 matrix. */
export type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

/**
 * The forward matrix (previous-frame pixel → new-frame pixel): `getRotationMatrix2D(centre, angle, zoom) @
 * [[1,0,tx],[0,1,ty]]` (docs/deforum.md §d, `animation.py:189-211`). Deforum builds the translation matrix as float32, so
 * tx/ty are rounded to float32 first; the centre is a float32 `Point2f` in OpenCV.
 */
export function motionMatrix(width: number, height: number, motion: Motion2D): Matrix3 {
  const cx = Math.fround(width * (motion.centerX ?? 0.5));
  const cy = Math.fround(height * (motion.centerY ?? 0.5));
  const radians = motion.angle * (Math.PI / 180);
  const a = Math.cos(radians) * motion.zoom;
  const b = Math.sin(radians) * motion.zoom;
  const c0 = (1 - a) * cx - b * cy;
  const c1 = b * cx + (1 - a) * cy;
  const tx = Math.fround(motion.translationX);
  const ty = Math.fround(motion.translationY);
  return [a, b, a * tx + b * ty + c0, -b, a, -b * tx + a * ty + c1, 0, 0, 1];
}

/** 3×3 inverse by cofactors in double precision, in the order OpenCV's `invert` (DECOMP_LU, n = 3) uses. */
export function invert3(m: Matrix3): Matrix3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (det === 0) return [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const r = 1 / det;
  return [
    (e * i - f * h) * r, (c * h - b * i) * r, (b * f - c * e) * r,
    (f * g - d * i) * r, (a * i - c * g) * r, (c * d - a * f) * r,
    (d * h - e * g) * r, (b * g - a * h) * r, (a * e - b * d) * r,
  ];
}

/** Maps an out-of-range source index into 0..len-1 like OpenCV's `borderInterpolate`. */
function borderIndex(p: number, len: number, border: BorderMode): number {
  if (p >= 0 && p < len) return p;
  switch (border) {
    case 'replicate':
      return p < 0 ? 0 : len - 1;
    case 'wrap':
      return ((p % len) + len) % len;
    case 'reflect': {
      // BORDER_REFLECT: fedcba|abcdefgh|hgfedcb
      if (len === 1) return 0;
      let q = p;
      do q = q < 0 ? -q - 1 : 2 * len - 1 - q;
      while (q < 0 || q >= len);
      return q;
    }
  }
}

// OpenCV's warp fixed point (imgproc/imgwarp.cpp): coordinates in 1/32 pixel (INTER_BITS = 5), bilinear weights
// in 1/32768 (INTER_REMAP_COEF_BITS = 15), output rounded by adding half and shifting.
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const INTER_MASK = INTER_TAB_SIZE - 1;
// OpenCV computes source coordinates per block of output pixels from the block's first pixel: blocks of up to 16
// rows and 1024 / rows pixels (64 for any frame at least 16 rows high).
const blockWidth = (height: number) => Math.floor(1024 / Math.min(16, height));
const SHORT_MIN = -32768;
const SHORT_MAX = 32767;

function clampInt(v: number): number {
  return v < -2147483648 ? -2147483648 : v > 2147483647 ? 2147483647 : v;
}

function clampShort(v: number): number {
  return v < SHORT_MIN ? SHORT_MIN : v > SHORT_MAX ? SHORT_MAX : v;
}

/** Writes one output pixel: the fixed-point bilinear mix of four source pixels. */
function mixInto(out: Uint8Array, o: number, data: Uint8Array, channels: number, i00: number, i01: number, i10: number, i11: number, ax: number, ay: number): void {
  const w00 = (INTER_TAB_SIZE - ax) * (INTER_TAB_SIZE - ay);
  const w01 = ax * (INTER_TAB_SIZE - ay);
  const w10 = (INTER_TAB_SIZE - ax) * ay;
  const w11 = ax * ay;
  // The weights are products of 1/32 steps, exact in 1/1024: (Σ S·w·32 + 2^14) >> 15 = (Σ S·w + 2^9) >> 10.
  // Unrolled for the three colour channels; a fourth (alpha) takes the loop.
  out[o] = (data[i00] * w00 + data[i01] * w01 + data[i10] * w10 + data[i11] * w11 + 512) >> 10;
  out[o + 1] = (data[i00 + 1] * w00 + data[i01 + 1] * w01 + data[i10 + 1] * w10 + data[i11 + 1] * w11 + 512) >> 10;
  out[o + 2] = (data[i00 + 2] * w00 + data[i01 + 2] * w01 + data[i10 + 2] * w10 + data[i11 + 2] * w11 + 512) >> 10;
  for (let c = 3; c < channels; c++) {
    out[o + c] = (data[i00 + c] * w00 + data[i01 + c] * w01 + data[i10 + c] * w10 + data[i11 + c] * w11 + 512) >> 10;
  }
}

/**
 * Warps an image by a forward matrix into an image of the same size, as `cv2.warpPerspective(img, M, (W, H),
 * flags=INTER_LINEAR, borderMode)` does on uint8 (imgproc/imgwarp.cpp `WarpPerspectiveInvoker` then `remapBilinear`):
 * inverse map, per-pixel `X/W`, `Y/W` quantised to 1/32 pixel, 15-bit bilinear weights. An affine matrix is the
 * special case with a constant W.
 */
export function warpImage(img: RawImage, forward: Matrix3, border: BorderMode = 'replicate'): RawImage {
  const { width, height, channels, data } = img;
  const out = new Uint8Array(data.length);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = invert3(forward);
  const stride = width * channels;
  const block = blockWidth(height);
  const fxs = new Int32Array(block);
  const fys = new Int32Array(block);
  for (let y = 0; y < height; y++) {
    for (let xb = 0; xb < width; xb += block) {
      // OpenCV evaluates each block row from its first pixel: X0 + M0·x1, Y0 + M3·x1, W0 + M6·x1.
      const x0 = m0 * xb + m1 * y + m2;
      const y0 = m3 * xb + m4 * y + m5;
      const w0 = m6 * xb + m7 * y + m8;
      const bw = Math.min(block, width - xb);
      let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
      for (let x1 = 0; x1 < bw; x1++) {
        const w = w0 + m6 * x1;
        const scale = w === 0 ? 0 : INTER_TAB_SIZE / w;
        const fx = roundHalfEven(clampInt((x0 + m0 * x1) * scale));
        const fy = roundHalfEven(clampInt((y0 + m3 * x1) * scale));
        fxs[x1] = fx;
        fys[x1] = fy;
        if (fx < minX) minX = fx;
        if (fx > maxX) maxX = fx;
        if (fy < minY) minY = fy;
        if (fy > maxY) maxY = fy;
      }
      let o = (y * width + xb) * channels;
      if (minX >= 0 && minY >= 0 && maxX >> INTER_BITS < width - 1 && maxY >> INTER_BITS < height - 1) {
        // The common case: every tap inside the image, so no clamping and no border lookups.
        for (let x1 = 0; x1 < bw; x1++, o += channels) {
          const fx = fxs[x1];
          const fy = fys[x1];
          const i00 = (fy >> INTER_BITS) * stride + (fx >> INTER_BITS) * channels;
          mixInto(out, o, data, channels, i00, i00 + channels, i00 + stride, i00 + stride + channels, fx & INTER_MASK, fy & INTER_MASK);
        }
        continue;
      }
      for (let x1 = 0; x1 < bw; x1++, o += channels) {
        const fx = fxs[x1];
        const fy = fys[x1];
        const sx = clampShort(fx >> INTER_BITS);
        const sy = clampShort(fy >> INTER_BITS);
        const xa = borderIndex(sx, width, border) * channels;
        const xc = borderIndex(sx + 1, width, border) * channels;
        const ya = borderIndex(sy, height, border) * stride;
        const yc = borderIndex(sy + 1, height, border) * stride;
        mixInto(out, o, data, channels, ya + xa, ya + xc, yc + xa, yc + xc, fx & INTER_MASK, fy & INTER_MASK);
      }
    }
  }
  return { width, height, channels, data: out };
}

/** Deforum's 2D motion for one frame: the previous frame zoomed, rotated and translated about the centre. */
export function warp2D(img: RawImage, motion: Motion2D, border: BorderMode = 'replicate'): RawImage {
  return warpImage(img, motionMatrix(img.width, img.height, motion), border);
}
