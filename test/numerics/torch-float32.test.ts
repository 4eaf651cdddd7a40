import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fma32, glibcPowf, linspaceF32, powTensorScalarF32, sleefExpf, sleefLogf, sleefPowf } from '../../src/numerics/torch-float32.js';
import { repoRoot } from '../helpers.js';

interface Pair { in: string; out: string }
const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/torch-float32.json'), 'utf8')) as {
  exp: Pair; log: Pair; pow7: Pair; pow7Scalar: Pair; linspace: Array<{ start: number; end: number; n: number; out: string }>;
};

const floats = (b64: string): number[] => Array.from(new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer));

/** Inputs whose result differs from torch's, with both values. */
function mismatches(pair: Pair, fn: (x: number) => number): Array<[number, number, number]> {
  const outputs = floats(pair.out);
  return floats(pair.in).map((x, i): [number, number, number] => [x, fn(x), outputs[i]]).filter(([, got, want]) => got !== want);
}

describe('torch CPU float32 kernels, bit for bit', () => {
  it('exp as SLEEF expf_u10', () => expect(mismatches(fixture.exp, sleefExpf)).toEqual([]));
  it('log as SLEEF logf_u10', () => expect(mismatches(fixture.log, sleefLogf)).toEqual([]));
  it('x ** 7 as SLEEF powf_u10', () => expect(mismatches(fixture.pow7, (x) => sleefPowf(x, 7))).toEqual([]));
  it('x ** 7 on fewer than 16 elements as glibc powf', () => expect(mismatches(fixture.pow7Scalar, (x) => glibcPowf(x, 7))).toEqual([]));

  it('splits a tensor pow between the vectorised and the scalar path', () => {
    const inputs = floats(fixture.pow7.in).slice(0, 20);
    const expected = floats(fixture.pow7.out).slice(0, 16);
    expect(powTensorScalarF32(inputs, 7).slice(0, 16)).toEqual(expected);
    expect(powTensorScalarF32(inputs, 7).slice(16)).toEqual(inputs.slice(16).map((x) => glibcPowf(x, 7)));
  });

  it.each(fixture.linspace.map((l) => [l.start, l.end, l.n, l] as const))('linspace(%s, %s, %s)', (start, end, n, l) => {
    expect(linspaceF32(start, end, n)).toEqual(floats(l.out));
  });

  it('rounds a fused multiply-add once, including at float midpoints', () => {
    // (1 + 2^-23)·2^6·(1 − 2^-23) = 2^6 − 2^-40: the exact sum lies just below the midpoint 2^30 + 2^7 + 2^6, which a
    // double sum would land on and ties-to-even would then round up to 2^30 + 2^8.
    const [a, b, c] = [1 + 2 ** -23, 2 ** 6 * (1 - 2 ** -23), 2 ** 30 + 2 ** 7];
    expect(Math.fround(a * b + c)).toBe(2 ** 30 + 2 ** 8);
    expect(fma32(a, b, c)).toBe(2 ** 30 + 2 ** 7);
    expect(fma32(-a, b, -c)).toBe(-(2 ** 30 + 2 ** 7));
    expect(fma32(3, 5, 7)).toBe(22);
  });
});
