/**
 * OpenCV's 3×3 morphology and Otsu threshold on 8-bit images, as the ControlNet extension uses them when it fits a
 * binary map to the frame (detectmap-fit.ts): `cv2.erode`/`cv2.dilate` (one iteration, anchor at the centre, the
 * default border, where pixels outside the image never win), `cv2.morphologyEx(MORPH_HITMISS)` and
 * `cv2.threshold(THRESH_BINARY + THRESH_OTSU)`, from imgproc/src/morph.dispatch.cpp and thresh.cpp.
 */
import { createMat8, type Mat8 } from './cv-mat.js';

/** A 3×3 structuring element, row-major: non-zero entries take part; for hit-or-miss 1 must be set, −1 clear. */
export type Kernel3 = readonly number[];

export const ONES: Kernel3 = [1, 1, 1, 1, 1, 1, 1, 1, 1];

/** The kernel's non-zero taps as (dx, dy, entry) triples around the centre. */
function taps(kernel: Kernel3): number[] {
  return kernel.flatMap((k, i) => (k !== 0 ? [(i % 3) - 1, Math.floor(i / 3) - 1, k] : []));
}

/** Min (erode) or max (dilate) over the kernel's taps; a tap outside the image reads 255 for erode, 0 for dilate. */
function morph(image: Mat8, kernel: Kernel3, shrink: boolean): Mat8 {
  const { width, height, channels, data } = image;
  const out = createMat8(width, height, channels);
  const t = taps(kernel);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let value = shrink ? 255 : 0;
        for (let k = 0; k < t.length; k += 3) {
          const sx = x + t[k];
          const sy = y + t[k + 1];
          if (sx < 0 || sx >= width || sy < 0 || sy >= height) continue;
          const v = data[(sy * width + sx) * channels + c];
          value = shrink ? (v < value ? v : value) : v > value ? v : value;
        }
        out.data[(y * width + x) * channels + c] = value;
      }
    }
  }
  return out;
}

export const erode = (image: Mat8, kernel: Kernel3): Mat8 => morph(image, kernel, true);
export const dilate = (image: Mat8, kernel: Kernel3): Mat8 => morph(image, kernel, false);

/** MORPH_HITMISS on one channel: erode(src, taps = 1) & erode(255 − src, taps = −1), each tap outside the image fitting. */
export function hitOrMiss(image: Mat8, kernel: Kernel3): Mat8 {
  const { width, height, data } = image;
  const t = taps(kernel);
  const out = createMat8(width, height, 1);
  const centreHits = kernel[4] === 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // a clear pixel under a hit tap matches nothing: most of a sparse edge map is skipped
      if (centreHits && data[y * width + x] === 0) continue;
      let hit = 255;
      let miss = 255;
      for (let k = 0; k < t.length; k += 3) {
        const sx = x + t[k];
        const sy = y + t[k + 1];
        if (sx < 0 || sx >= width || sy < 0 || sy >= height) continue;
        const v = data[sy * width + sx];
        if (t[k + 2] === 1) hit = Math.min(hit, v);
        else miss = Math.min(miss, 255 - v);
      }
      out.data[y * width + x] = hit & miss;
    }
  }
  return out;
}

/** getThreshVal_Otsu_8u: the grey level maximising the between-class variance of the histogram (double arithmetic). */
function otsuLevel(image: Mat8): number {
  const histogram = new Array<number>(256).fill(0);
  for (const v of image.data) histogram[v]++;
  const scale = 1 / image.data.length;
  let mu = 0;
  for (let i = 0; i < 256; i++) mu += i * histogram[i];
  mu *= scale;
  const FLT_EPSILON = 1.1920928955078125e-7;
  let mu1 = 0;
  let q1 = 0;
  let maxSigma = 0;
  let level = 0;
  for (let i = 0; i < 256; i++) {
    const p = histogram[i] * scale;
    mu1 *= q1;
    q1 += p;
    const q2 = 1 - q1;
    if (Math.min(q1, q2) < FLT_EPSILON || Math.max(q1, q2) > 1 - FLT_EPSILON) continue;
    mu1 = (mu1 + i * p) / q1;
    const mu2 = (mu - q1 * mu1) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > maxSigma) {
      maxSigma = sigma;
      level = i;
    }
  }
  return level;
}

/** `cv2.threshold(img, 0, 255, THRESH_BINARY + THRESH_OTSU)[1]`: 255 above the Otsu level, else 0. */
export function thresholdOtsu(image: Mat8): Mat8 {
  const level = otsuLevel(image);
  return { ...image, data: image.data.map((v) => (v > level ? 255 : 0)) };
}
