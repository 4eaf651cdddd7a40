/**
 * float32 reductions of a contiguous (C, H, W) tensor as torch 1.13's CPU kernels (AVX2 build) order their additions,
 * so that A1111's slerp of variation seeds equals torch's bit for bit (docs/sd-pipeline.md "Variation seeds"):
 * `torch.norm(x, dim=1)` is `binary_kernel_reduce` with `NormTwoOps` (a fused multiply-add per element, in order, then
 * `sqrt`); `x.sum(1)` and `x.sum()` are `cascade_sum` (ATen/native/cpu/SumKernel.cpp), whose loop depends on how the
 * reduced dimension lies in memory.
 */
import { f32, fma32 } from './torch-float32.js';

/** Reads element `i` of a strided row. */
type Row = (i: number) => number;

/** SumKernel's `utils::CeilLog2`. */
function ceilLog2(x: number): number {
  return x <= 2 ? 1 : Math.ceil(Math.log2(x));
}

/**
 * `multi_row_sum` for one lane: a running float32 sum with a four-level cascade, each level taking 2^p elements (p ≥ 4)
 * of the level below, so that only partial sums of similar size meet.
 */
function cascadeRowSum(row: Row, size: number): number {
  const levels = 4;
  const power = Math.max(4, Math.trunc(ceilLog2(size) / levels));
  const step = 2 ** power;
  const acc = [0, 0, 0, 0];
  let i = 0;
  while (i + step <= size) {
    for (let j = 0; j < step; j++, i++) acc[0] = f32(acc[0] + row(i));
    for (let j = 1; j < levels; j++) {
      acc[j] = f32(acc[j] + acc[j - 1]);
      acc[j - 1] = 0;
      if ((i & ((step - 1) * 2 ** (j * power))) !== 0) break;
    }
  }
  for (; i < size; i++) acc[0] = f32(acc[0] + row(i));
  for (let j = 1; j < levels; j++) acc[0] = f32(acc[0] + acc[j]);
  return acc[0];
}

/** `row_sum`: four interleaved cascades (element i into partial i mod 4), the leftover elements into partial 0. */
function interleavedRowSum(row: Row, size: number): number {
  const ilp = 4;
  const perPartial = Math.trunc(size / ilp);
  const partials = [0, 1, 2, 3].map((k) => cascadeRowSum((i) => row(i * ilp + k), perPartial));
  for (let i = perPartial * ilp; i < size; i++) partials[0] = f32(partials[0] + row(i));
  return f32(f32(f32(partials[0] + partials[1]) + partials[2]) + partials[3]);
}

const LANES = 8;

/**
 * `x.sum()` of a contiguous float32 vector: `vectorized_inner_sum` for 8 or more elements (an interleaved cascade per
 * lane over whole 8-float vectors; the tail summed from 0, then the eight lanes added to it), else `row_sum`.
 */
export function sumAll(x: Float32Array): number {
  if (x.length < LANES) return interleavedRowSum((i) => x[i], x.length);
  const vectors = Math.trunc(x.length / LANES);
  let total = 0;
  for (let i = vectors * LANES; i < x.length; i++) total = f32(total + x[i]);
  for (let lane = 0; lane < LANES; lane++) total = f32(total + interleavedRowSum((v) => x[v * LANES + lane], vectors));
  return total;
}

/** Shape of a contiguous (C, H, W) tensor. */
export type Shape3 = readonly [number, number, number];

/**
 * `x.sum(1)` of a contiguous (C, H, W) tensor, as a (C, W) tensor. Each channel is one `cascade_sum` call over rows of
 * W columns; columns in whole groups of 32 (of 4 when W < 8) take the plain cascade, the rest `row_sum`. With W = 1 the
 * height is the contiguous dimension, summed as `sum()` sums a vector.
 */
export function sumDim1(x: Float32Array, [channels, height, width]: Shape3): Float32Array {
  const out = new Float32Array(channels * width);
  const grouped = width >= LANES ? Math.trunc(width / 32) * 32 : Math.trunc(width / 4) * 4;
  for (let c = 0; c < channels; c++) {
    const base = c * height * width;
    if (width === 1) {
      out[c] = sumAll(x.subarray(base, base + height));
      continue;
    }
    for (let w = 0; w < width; w++) {
      const column: Row = (h) => x[base + h * width + w];
      out[c * width + w] = w < grouped ? cascadeRowSum(column, height) : interleavedRowSum(column, height);
    }
  }
  return out;
}

/** `torch.norm(x, dim=1)` of a contiguous (C, H, W) tensor, as a (C, W) tensor: `sqrt(fma(x, x, acc))` down each column. */
export function normDim1(x: Float32Array, [channels, height, width]: Shape3): Float32Array {
  const out = new Float32Array(channels * width);
  for (let c = 0; c < channels; c++) {
    for (let w = 0; w < width; w++) {
      let acc = 0;
      for (let h = 0; h < height; h++) {
        const v = x[(c * height + h) * width + w];
        acc = fma32(v, v, acc);
      }
      out[c * width + w] = Math.sqrt(acc);
    }
  }
  return out;
}
