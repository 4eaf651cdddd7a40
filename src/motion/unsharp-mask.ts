import type { RawImage } from '../raw-image.js';
import { roundHalfEven } from './rounding.js';

/** Deforum's anti-blur settings (`kernel`, `sigma`, `amount`, `threshold` schedules; their defaults are the keyframe schema's). */
export interface UnsharpMask {
  /** Odd kernel size in pixels. */
  kernel: number;
  /** Gaussian sigma; ≤ 0 derives it from the kernel size as OpenCV does. */
  sigma: number;
  amount: number;
  threshold: number;
}

// OpenCV blurs 8-bit images in fixed point: kernel weights in 1/256, a horizontal then a vertical pass.
const KERNEL_BITS = 8;

/**
 * `getGaussianKernelBitExact` followed by OpenCV's error-diffusion rounding of the weights to 1/256 (the centre takes
 * what is left, so the weights sum to exactly 1). Sigma ≤ 0 uses OpenCV's fixed 3- and 5-tap kernels or its formula.
 */
export function gaussianKernelFixed(size: number, sigma: number): Int32Array {
  const half = (size - 1) / 2;
  let weights: number[];
  if (sigma <= 0 && size <= 5) {
    weights = size === 1 ? [1] : size === 3 ? [0.25, 0.5, 0.25] : [0.0625, 0.25, 0.375, 0.25, 0.0625];
  } else {
    const s = sigma > 0 ? sigma : size * 0.15 + 0.35;
    const scale = -0.125 / (s * s);
    const side: number[] = [];
    let sum = 0;
    for (let i = 0, x = 1 - size; i < half; i++, x += 2) {
      const t = Math.exp(x * x * scale);
      side.push(t);
      sum += t;
    }
    sum = sum * 2 + 1;
    weights = [...side, 1, ...side.slice().reverse()].map((w) => w / sum);
  }
  const one = 1 << KERNEL_BITS;
  const fixed = new Int32Array(size);
  let error = 0;
  let total = 0;
  for (let i = 0; i < half; i++) {
    const adjusted = weights[i] * one + error;
    const v = roundHalfEven(adjusted);
    error = adjusted - v;
    fixed[i] = fixed[size - 1 - i] = v;
    total += 2 * v;
  }
  fixed[half] = one - total;
  return fixed;
}

/** BORDER_REFLECT_101 (`gfedcb|abcdefgh|gfedcba`), OpenCV's default for blurring. */
function reflect101(p: number, len: number): number {
  if (len === 1) return 0;
  let q = p;
  while (q < 0 || q >= len) q = q < 0 ? -q : 2 * len - 2 - q;
  return q;
}

/** `cv2.GaussianBlur(img, (k, k), sigma)` on 8 bits: separable fixed-point passes, rounded once at the end. */
export function gaussianBlur(img: RawImage, size: number, sigma: number): Uint8Array {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) throw new RangeError(`Gaussian kernel size must be a positive odd integer, got ${size}`);
  const { width, height, channels, data } = img;
  const kernel = gaussianKernelFixed(size, sigma);
  const half = (size - 1) / 2;
  const stride = width * channels;
  // Horizontal pass in 1/256 (exact: at most 255·256 per sample), over each row padded with its reflection.
  const rows = new Int32Array(data.length);
  const padded = new Int32Array((width + 2 * half) * channels);
  const source = Int32Array.from({ length: width + 2 * half }, (_, i) => reflect101(i - half, width) * channels);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let i = 0; i < source.length; i++) for (let c = 0; c < channels; c++) padded[i * channels + c] = data[row + source[i] + c];
    for (let i = 0; i < stride; i++) {
      let sum = 0;
      for (let k = 0; k < size; k++) sum += padded[i + k * channels] * kernel[k];
      rows[row + i] = sum;
    }
  }
  // Vertical pass in 1/65536, rounded to a byte.
  const out = new Uint8Array(data.length);
  const lines = Int32Array.from({ length: height + 2 * half }, (_, i) => reflect101(i - half, height) * stride);
  const round = 1 << (2 * KERNEL_BITS - 1);
  const sums = new Int32Array(stride);
  for (let y = 0; y < height; y++) {
    sums.fill(round);
    for (let k = 0; k < size; k++) {
      const line = lines[y + k];
      const weight = kernel[k];
      for (let i = 0; i < stride; i++) sums[i] += rows[line + i] * weight;
    }
    for (let i = 0; i < stride; i++) out[y * stride + i] = sums[i] >>> (2 * KERNEL_BITS);
  }
  return out;
}

/**
 * Deforum's anti-blur (`unsharp_mask` in image_sharpening.py; docs/deforum.md §d step 6): `(1 + amount)·img −
 * amount·GaussianBlur(img)`, clipped to 0..255 and rounded half to even. With a threshold, pixels whose difference
 * from the blur is below it keep their value; Deforum subtracts there in uint8, which wraps negative differences to
 * large ones, and we use the true absolute difference. Amount 0 returns the image unchanged.
 */
export function applyUnsharpMask(img: RawImage, settings: UnsharpMask): RawImage {
  const { kernel, sigma, amount, threshold } = settings;
  if (amount === 0) return img;
  const blurred = gaussianBlur(img, kernel, sigma);
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = img.data[i];
    if (threshold > 0 && Math.abs(v - blurred[i]) < threshold) {
      data[i] = v;
      continue;
    }
    const sharpened = (amount + 1) * v - amount * blurred[i];
    data[i] = roundHalfEven(Math.min(255, Math.max(0, sharpened)));
  }
  return { ...img, data };
}
