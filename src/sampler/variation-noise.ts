/**
 * AUTOMATIC1111's initial noise of one image with variation seeds (subseeds) and seed resize, RNG source CPU
 * (`modules/rng.py`, `ImageRNG.first`, `slerp`; docs/sd-pipeline.md "Variation seeds"), bit for bit as torch 1.13
 * computes it on the CPU.
 */
import { isSeed, MAX_SEED } from '../numerics/seed-range.js';
import { f32, sleefAcosf, sleefSinf } from '../numerics/torch-float32.js';
import { normDim1, sumAll, sumDim1, type Shape3 } from '../numerics/torch-reduce.js';
import { randn, shapeNumel, TorchGenerator } from './noise.js';

/** A1111's variation of an image's noise: towards the subseed's noise by `subseedStrength`, and the seed resize. */
export interface Variation {
  /** The variation seed, 0 … 2^32−1 (only its low 32 bits count, as the seed's). */
  subseed?: number;
  /** 0 = the seed's noise, 1 = the subseed's; A1111's "Variation strength". */
  subseedStrength?: number;
  /**
   * A1111's "Resize seed from width/height" in pixels: the noise is drawn at this size and pasted, centred, into the
   * image's; off when either side is 0.
   */
  seedResizeFrom?: { width: number; height: number };
}

/** The image's first noise, and its generator as the sampler's later `randn_like` draws continue it. */
export interface InitialNoise {
  noise: Float32Array;
  generator: TorchGenerator;
}

/** Bounds the seed-resize noise to a 8192² image's latent (A1111's slider stops at 2048). */
export const MAX_SEED_RESIZE = 8192;

/** The latent shape A1111 draws the noise at: the image's, or (C, height/8, width/8) of the seed resize when it is on. */
function noiseShapeOf(shape: Shape3, resize: Variation['seedResizeFrom']): Shape3 {
  return resize && resize.width > 0 && resize.height > 0 ? [shape[0], Math.trunc(resize.height / 8), Math.trunc(resize.width / 8)] : shape;
}

/** A problem with a variation: the option it is about (`latent` for the image's latent) and what is wrong, in one line. */
export interface VariationProblem {
  option: keyof Variation | 'latent';
  message: string;
}

/**
 * What is wrong with a variation for an image latent of `shape`, or undefined. Besides the ranges: the slerp normalises
 * each column of the noise, so it needs 2 rows or more (one row gives NaN in A1111 too).
 */
export function variationProblem(shape: Shape3, { subseed, subseedStrength = 0, seedResizeFrom }: Variation): VariationProblem | undefined {
  if (subseed !== undefined && !isSeed(subseed)) return { option: 'subseed', message: `subseed must be an integer from 0 to ${MAX_SEED}, got ${subseed}` };
  if (!(subseedStrength >= 0 && subseedStrength <= 1)) return { option: 'subseedStrength', message: `subseed strength must be between 0 and 1, got ${subseedStrength}` };
  if (subseedStrength > 0 && subseed === undefined) return { option: 'subseedStrength', message: 'a subseed strength above 0 needs a subseed' };
  for (const side of ['width', 'height'] as const) {
    const value = seedResizeFrom?.[side];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= MAX_SEED_RESIZE)) {
      return { option: 'seedResizeFrom', message: `seed resize ${side} must be an integer from 0 to ${MAX_SEED_RESIZE} pixels, got ${value}` };
    }
  }
  const rows = noiseShapeOf(shape, seedResizeFrom)[1];
  if (subseedStrength === 0 || rows >= 2) return undefined;
  return seedResizeFrom && rows !== shape[1]
    ? { option: 'seedResizeFrom', message: `seed resize height must be at least 16 pixels with a subseed strength (the slerp needs 2 latent rows), got ${seedResizeFrom.height}` }
    : { option: 'latent', message: `the latent must be at least 2 rows high for a subseed strength (the slerp normalises each column), got ${rows}` };
}

/** A1111 tests `dot.mean() > 0.9995` on float32 values. */
const PARALLEL = f32(0.9995);

/** Elementwise float32 `a / b` with `b` broadcast over dim 1 of (C, H, W). */
function divideByColumn(x: Float32Array, column: Float32Array, [channels, height, width]: Shape3): Float32Array {
  const out = new Float32Array(x.length);
  for (let c = 0; c < channels; c++) {
    for (let h = 0; h < height; h++) {
      for (let w = 0; w < width; w++) {
        const i = (c * height + h) * width + w;
        out[i] = x[i] / column[c * width + w];
      }
    }
  }
  return out;
}

/**
 * A1111's `slerp(val, low, high)` over dim 1 (H) of a (C, H, W) tensor: one angle per (c, w) column. When the noises are
 * nearly parallel (mean cosine above 0.9995) it returns `low·val + high·(1 − val)`, a linear blend with the weights
 * reversed, as A1111 does. Python's scalars `val` and `1.0 − val` reach torch as float32.
 */
export function slerp(val: number, low: Float32Array, high: Float32Array, shape: Shape3): Float32Array {
  const weight = f32(val);
  const rest = f32(1 - val);
  const unitLow = divideByColumn(low, normDim1(low, shape), shape);
  const unitHigh = divideByColumn(high, normDim1(high, shape), shape);
  const product = unitLow.map((v, i) => v * unitHigh[i]);
  const dot = sumDim1(product, shape);
  if (f32(sumAll(dot) / dot.length) > PARALLEL) return low.map((v, i) => f32(v * weight) + f32(high[i] * rest));
  const lowWeight = new Float32Array(dot.length);
  const highWeight = new Float32Array(dot.length);
  for (let i = 0; i < dot.length; i++) {
    const omega = sleefAcosf(dot[i]);
    const so = sleefSinf(omega);
    lowWeight[i] = sleefSinf(f32(rest * omega)) / so;
    highWeight[i] = sleefSinf(f32(weight * omega)) / so;
  }
  const [channels, height, width] = shape;
  const out = new Float32Array(low.length);
  for (let c = 0; c < channels; c++) {
    for (let h = 0; h < height; h++) {
      for (let w = 0; w < width; w++) {
        const i = (c * height + h) * width + w;
        const j = c * width + w;
        out[i] = f32(lowWeight[j] * low[i]) + f32(highWeight[j] * high[i]);
      }
    }
  }
  return out;
}

/**
 * Copies `from` into `into` centred, as A1111's seed resize pastes: a larger source is cropped about its centre, a
 * smaller one lands in the middle (offsets by floor division, as Python's `//`).
 */
function pasteCentred(into: Float32Array, [channels, height, width]: Shape3, from: Float32Array, [, fromHeight, fromWidth]: Shape3): void {
  const dx = Math.floor((width - fromWidth) / 2);
  const dy = Math.floor((height - fromHeight) / 2);
  const w = dx >= 0 ? fromWidth : fromWidth + 2 * dx;
  const h = dy >= 0 ? fromHeight : fromHeight + 2 * dy;
  const [tx, ty, sx, sy] = [Math.max(dx, 0), Math.max(dy, 0), Math.max(-dx, 0), Math.max(-dy, 0)];
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < h; y++) {
      const target = (c * height + ty + y) * width + tx;
      const source = (c * fromHeight + sy + y) * fromWidth + sx;
      into.set(from.subarray(source, source + w), target);
    }
  }
}

/**
 * One image's initial noise, shape (C, H, W), as A1111's `ImageRNG.first()` makes it with the image's generator
 * `Generator(seed)`: without variation, its first draw. With a subseed strength ≠ 0 the seed's noise is slerped towards
 * `randn(subseed)`. With seed resize the noise (variation included) is drawn at the resize size from the global RNG
 * re-seeded with the seed, then pasted centred into a full-size first draw of the image's generator. Either way the
 * generator has made exactly one full-size draw, which the sampler's later draws continue (§4.3).
 */
export function initialNoise(seed: number, shape: Shape3, variation: Variation = {}): InitialNoise {
  const generator = new TorchGenerator(seed);
  const strength = variation.subseedStrength ?? 0;
  const resize = variation.seedResizeFrom;
  const noiseShape = noiseShapeOf(shape, resize);
  const resized = noiseShape.some((d, i) => d !== shape[i]);
  let noise = resized ? randn(seed, noiseShape) : generator.randn(shapeNumel(shape));
  if (strength !== 0) {
    if (variation.subseed === undefined) throw new RangeError('a subseed strength needs a subseed');
    noise = slerp(strength, noise, randn(variation.subseed, noiseShape), noiseShape);
  }
  if (!resized) return { noise, generator };
  const full = generator.randn(shapeNumel(shape));
  pasteCentred(full, shape, noise, noiseShape);
  return { noise: full, generator };
}
