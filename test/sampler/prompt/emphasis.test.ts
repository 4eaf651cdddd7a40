import { describe, expect, it } from 'vitest';
import { applyEmphasis } from '../../../src/sampler/prompt/emphasis.js';

const mean = (values: Float32Array) => values.reduce((sum, v) => sum + v, 0) / values.length;

describe('applyEmphasis (A1111 "Original")', () => {
  it('multiplies each token vector by its weight, then restores the mean of the whole tensor', () => {
    const z = new Float32Array([1, 2, 3, 4, 5, 6]);
    applyEmphasis(z, new Float32Array([1, 2, 1]), 3, 2);
    // m0 = 3.5; weighted [1,2,6,8,5,6] has mean 28/6; scaled by 3.5/(28/6) = 0.75.
    expect(Array.from(z)).toEqual([0.75, 1.5, 4.5, 6, 3.75, 4.5]);
    expect(mean(z)).toBeCloseTo(3.5, 6);
  });

  it('leaves the tensor as it was when every weight is 1', () => {
    const z = new Float32Array([0.25, -1.5, 2, 0.125]);
    applyEmphasis(z, new Float32Array([1, 1]), 2, 2);
    expect(Array.from(z)).toEqual([0.25, -1.5, 2, 0.125]);
  });

  it('takes the mean over all batch rows together, as A1111 does for a batch of scheduled prompts', () => {
    const z = new Float32Array([1, 1, 3, 3]);
    applyEmphasis(z, new Float32Array([2, 1]), 1, 2);
    // m0 = 2; weighted [2,2,3,3] has mean 2.5; scaled by 0.8. Per-row means would leave both rows unchanged.
    expect(Array.from(z)).toEqual([1.6, 1.6, 2.4, 2.4].map(Math.fround));
  });

  it('rounds multipliers to float32 first, as torch.asarray does', () => {
    const z = new Float32Array([1, 1, 1, 1]);
    applyEmphasis(z, new Float64Array([1.1, 1]), 2, 2);
    const m = Math.fround(1.1);
    const ratio = Math.fround(1 / Math.fround((2 * m + 2) / 4));
    expect(Array.from(z)).toEqual([Math.fround(m * ratio), Math.fround(m * ratio), ratio, ratio]);
  });

  it('rejects multipliers that do not fit the tensor', () => {
    expect(() => applyEmphasis(new Float32Array(6), new Float32Array(2), 3, 2)).toThrow(RangeError);
  });
});
