import { describe, expect, it } from 'vitest';
import { depthRange, depthToGrey16 } from '../../src/depth/depth-png.js';
import { pipelineEightBit } from '../../src/depth/prediction.js';

describe('depthToGrey16: Deforum\'s to_image scaling at 16 bits', () => {
  it('maps the minimum to black, the maximum to white, and truncates in between', () => {
    expect(Array.from(depthToGrey16(Float32Array.from([2, 3, 4, 2.5])))).toEqual([0, 32767, 65535, 16383]);
  });

  it('scales by a range given from outside (a render\'s running extremes) and clamps what falls outside it', () => {
    expect(Array.from(depthToGrey16(Float32Array.from([0, 5, 10, 20]), { min: 0, max: 10 }))).toEqual([0, 32767, 65535, 65535]);
  });

  it('a constant map is black (Deforum divides by max(1e-8, max − min)); NaN is black and skipped by the range', () => {
    expect(Array.from(depthToGrey16(Float32Array.from([7, 7])))).toEqual([0, 0]);
    expect(depthRange(Float32Array.from([Number.NaN, 1, Infinity, 3]))).toEqual({ min: 1, max: 3 });
    expect(Array.from(depthToGrey16(Float32Array.from([Number.NaN, 1, 3])))).toEqual([0, 0, 65535]);
  });
});

describe('pipelineEightBit: the 8-bit map transformers < 4.46 hands the Tok fork', () => {
  it('is (v·255/max) truncated, read back as k/255, in float32', () => {
    const out = pipelineEightBit(Float32Array.from([0, 0.5, 1, 0.999]));
    expect(Array.from(out, (v) => Math.round(v * 255))).toEqual([0, 127, 255, 254]);
    expect(out[1]).toBe(Math.fround(127 / 255));
  });

  it('gives 0 for negative values, and an all-zero map for a map without a positive maximum', () => {
    expect(Array.from(pipelineEightBit(Float32Array.from([-1, 2])), (v) => v * 255)).toEqual([0, 255]);
    expect(Array.from(pipelineEightBit(Float32Array.from([0, 0])))).toEqual([0, 0]);
    expect(Array.from(pipelineEightBit(Float32Array.from([-3, -1])))).toEqual([0, 0]);
  });
});
