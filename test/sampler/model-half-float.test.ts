import { describe, expect, it } from 'vitest';
import { floatToHalfBits, fromHalf, halfBitsToFloat, toHalf } from '../../src/sampler/half-float.js';

const nextUp = (x: number) => {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] += x >= 0 ? 1 : -1;
  return f[0];
};
const nextDown = (x: number) => {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] -= x > 0 ? 1 : -1;
  return f[0];
};

describe('float16 bits for fp16 models', () => {
  it('every finite half survives float32 and back', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0) continue; // NaN payloads
      if (floatToHalfBits(halfBitsToFloat(bits)) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('rounds to nearest, ties to even, including subnormals', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x7bff; bits++) {
      const [a, b] = [halfBitsToFloat(bits), halfBitsToFloat(bits + 1)];
      const mid = (a + b) / 2;
      const ok =
        Math.fround(mid) === mid &&
        floatToHalfBits(mid) === (bits % 2 === 0 ? bits : bits + 1) &&
        floatToHalfBits(nextDown(mid)) === bits &&
        floatToHalfBits(nextUp(mid)) === bits + 1;
      if (!ok) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('overflows to infinity past the largest half, keeps signs, zeros and NaN', () => {
    expect(floatToHalfBits(65504)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00);
    expect(floatToHalfBits(-1e9)).toBe(0xfc00);
    expect(floatToHalfBits(-0)).toBe(0x8000);
    expect(floatToHalfBits(1e-9)).toBe(0);
    expect(Number.isNaN(halfBitsToFloat(floatToHalfBits(Number.NaN)))).toBe(true);
    expect(Array.from(fromHalf(toHalf(new Float32Array([1, -2.5, 0.1]))))).toEqual([1, -2.5, 0.0999755859375]);
  });
});
