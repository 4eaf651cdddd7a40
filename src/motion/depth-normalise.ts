import { f32 } from '../numerics/torch-float32.js';

/**
 * Deforum's depth → z for its 3D warp (`transform_image_3d_new` / `_legacy`, docs/deforum-3d.md §2–4): which path an
 * algorithm name takes, the min-max normalisation in float32, the 1024-bin histogram equalisation in float64 (numpy's
 * `histogram` + `interp`), and each algorithm's scale and offset.
 */

/** How an algorithm turns its depth into z: `(eq·depth + offset)·factor`, or the raw depth (the two `(old)` ones). */
export type DepthTransform = { kind: 'legacy' } | { kind: 'normalised'; depth: number; factor: number; offset: number };

// The `(old)` names route to the legacy warp before any other check (`transform_image_3d_switcher`).
const legacyAlgorithms = ['midas+adabins (old)', 'zoe+adabins (old)'];

/** Deforum's (and the Tok fork's) depth algorithm names, for messages. */
export const depthAlgorithmNames = ['Midas-3-Hybrid', 'Midas-3.1-BeitLarge', 'AdaBins', 'Leres', 'Zoe', 'Depth-Anything-V2-Small', 'Midas+AdaBins (old)', 'Zoe+AdaBins (old)'];

/** The transform for a depth algorithm name (case-insensitive), or undefined when Deforum would raise. */
export function depthTransform(algorithm: string): DepthTransform | undefined {
  const name = algorithm.toLowerCase();
  if (legacyAlgorithms.includes(name)) return { kind: 'legacy' };
  if (name.startsWith('midas')) return { kind: 'normalised', depth: 1, factor: -1, offset: -2 };
  if (name === 'adabins' || name === 'leres' || name === 'zoe') return { kind: 'normalised', depth: 1, factor: 1, offset: 1 };
  // The Tok fork's Depth-Anything branch (`# TODO tune?` there).
  if (name.startsWith('depth-anything')) return { kind: 'normalised', depth: 1, factor: -1, offset: -2.3 };
  return undefined;
}

/** Deforum's validity test: no depth, any NaN or ±inf, or a constant map → flat z = 1. */
export function isValidDepth(depth: Float32Array): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const v of depth) {
    if (!Number.isFinite(v)) return false;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min !== max;
}

const BINS = 1024;

/**
 * `np.interp(n, edges[:-1], cdf)` after `np.histogram(n, bins=1024, range=(0, 1))` on values in [0, 1]: the bin
 * edges k/1024 are exact in float32, so bin b = min(⌊n·1024⌋, 1023), and between left edges numpy interpolates in
 * float64 as `slope·(n − b/1024) + cdf[b]`; from the last left edge on the result is cdf[1023] = 1.
 */
export function equaliseDepth(normalised: Float32Array): Float64Array {
  const counts = new Float64Array(BINS);
  for (const v of normalised) counts[Math.min(Math.floor(v * BINS), BINS - 1)]++;
  const cdf = new Float64Array(BINS);
  let sum = 0;
  for (let b = 0; b < BINS; b++) cdf[b] = sum += counts[b];
  for (let b = 0; b < BINS; b++) cdf[b] /= sum;
  const out = new Float64Array(normalised.length);
  for (let i = 0; i < normalised.length; i++) {
    const v = normalised[i];
    const b = Math.floor(v * BINS);
    if (b >= BINS - 1) out[i] = cdf[BINS - 1];
    else {
      const left = b / BINS;
      out[i] = v === left ? cdf[b] : ((cdf[b + 1] - cdf[b]) * BINS) * (v - left) + cdf[b];
    }
  }
  return out;
}

/**
 * z per pixel (float32) for a depth map under an algorithm's transform: legacy uses the raw depth; the others
 * normalise `(d − min)/(max − min)` in float32, equalise, and apply `(eq·depth + offset)·factor` in float64, or give
 * flat z = 1 for a missing or invalid map. Deforum prints "Depth tensor invalid. Generating a Flat depth for this frame."
 * for an invalid one; `flat` reports that.
 */
export function depthToZ(depth: Float32Array | undefined, count: number, transform: DepthTransform): { z: Float32Array; flat: boolean } {
  if (transform.kind === 'legacy') return { z: depth ? Float32Array.from(depth) : new Float32Array(count).fill(1), flat: !depth };
  if (!depth || !isValidDepth(depth)) return { z: new Float32Array(count).fill(1), flat: true };
  let min = Infinity;
  let max = -Infinity;
  for (const v of depth) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = f32(max - min);
  const normalised = depth.map((v) => f32(f32(v - min) / range));
  const eq = equaliseDepth(normalised);
  const z = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const scaled = eq[i] * transform.depth + transform.offset;
    z[i] = transform.factor !== 1 ? scaled * transform.factor : scaled;
  }
  return { z, flat: false };
}
