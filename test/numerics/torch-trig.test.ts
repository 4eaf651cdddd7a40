import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleefAcosf, sleefCosf, sleefSinf, sleefTanf } from '../../src/numerics/torch-float32.js';
import { repoRoot } from '../helpers.js';

const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/torch-trig.json'), 'utf8')) as Record<'x' | 'sin' | 'cos' | 'tan' | 'cosines' | 'acos', string>;
const floats = (b64: string) => Array.from(new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer));
const x = floats(fixture.x);

describe("torch's float32 sin, cos and tan (SLEEF u10)", () => {
  it.each([
    ['sin', sleefSinf],
    ['cos', sleefCosf],
    ['tan', sleefTanf],
  ] as const)('%s equals torch bit for bit', (name, fn) => {
    const expected = floats(fixture[name]);
    expect(x.map(fn)).toEqual(expected);
  });

  it('refuses arguments beyond the short range reduction rather than guess, and keeps NaN', () => {
    expect(() => sleefSinf(125)).toThrow(RangeError);
    expect(sleefSinf(Number.NaN)).toBeNaN();
  });
});

describe("torch's float32 acos (SLEEF u10)", () => {
  it('equals torch bit for bit over [-1, 1]', () => {
    expect(floats(fixture.cosines).map(sleefAcosf)).toEqual(floats(fixture.acos));
  });

  it('is NaN outside [-1, 1], as torch gives', () => {
    expect(sleefAcosf(Math.fround(1.0000001))).toBeNaN();
  });
});
