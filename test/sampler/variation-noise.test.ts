import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { randn, TorchGenerator } from '../../src/sampler/noise.js';
import { initialNoise, slerp } from '../../src/sampler/variation-noise.js';
import { repoRoot } from '../helpers.js';

interface Draw { numel: number; sha256: string; first: number[]; last: number[] }
interface Case {
  seed: number;
  subseed: number;
  strength: number;
  shape: [number, number, number];
  seedResizeFrom?: { width: number; height: number };
  noise: Draw;
  next: Draw;
}

const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/a1111-variation-seeds.json'), 'utf8')) as { cases: Case[] };

function sha256(values: Float32Array): string {
  return createHash('sha256').update(Buffer.from(values.buffer, values.byteOffset, values.byteLength)).digest('hex');
}

function expectDraw(actual: Float32Array, expected: Draw): void {
  expect(actual.length).toBe(expected.numel);
  expect(Array.from(actual.subarray(0, 16))).toEqual(expected.first);
  expect(Array.from(actual.subarray(actual.length - 16))).toEqual(expected.last);
  expect(sha256(actual)).toBe(expected.sha256);
}

const label = (c: Case) =>
  `seed ${c.seed} subseed ${c.subseed} strength ${c.strength} shape ${c.shape.join('×')}${c.seedResizeFrom ? ` from ${c.seedResizeFrom.width}×${c.seedResizeFrom.height} px` : ''}`;

describe("initialNoise equals A1111's ImageRNG (RNG source CPU) bit for bit", () => {
  it('has the cases the issue asks for: 20 or more, with and without seed resize', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20);
    expect(fixture.cases.filter((c) => c.seedResizeFrom).length).toBeGreaterThanOrEqual(5);
  });

  it.each(fixture.cases.map((c) => [label(c), c] as const))('%s', (_label, c) => {
    const { noise, generator } = initialNoise(c.seed, c.shape, { subseed: c.subseed, subseedStrength: c.strength, seedResizeFrom: c.seedResizeFrom });
    expectDraw(noise, c.noise);
    // the sampler's randn_like continues the main seed's generator, whatever the subseed
    expectDraw(generator.randn(c.next.numel), c.next);
  });
});

describe('initialNoise without variation', () => {
  it("is the seed generator's first draw, and the generator continues after it, as generate has always drawn", () => {
    const { noise, generator } = initialNoise(42, [4, 8, 8]);
    const reference = new TorchGenerator(42);
    expect(noise).toEqual(reference.randn(256));
    expect(generator.randn(256)).toEqual(reference.randn(256));
  });

  it('ignores a subseed at strength 0 and a seed resize with a 0 side, as A1111 does', () => {
    const plain = initialNoise(7, [4, 8, 8]).noise;
    expect(initialNoise(7, [4, 8, 8], { subseed: 9, subseedStrength: 0 }).noise).toEqual(plain);
    expect(initialNoise(7, [4, 8, 8], { seedResizeFrom: { width: 0, height: 96 } }).noise).toEqual(plain);
    expect(initialNoise(7, [4, 8, 8], { seedResizeFrom: { width: 64, height: 64 } }).noise).toEqual(plain);
  });

  it('refuses a strength without a subseed', () => {
    expect(() => initialNoise(7, [4, 8, 8], { subseedStrength: 0.5 })).toThrow(/needs a subseed/);
  });
});

describe('slerp', () => {
  it('gives the ends exactly at 0 and 1 for independent noise', () => {
    const low = randn(1, [4, 16, 16]);
    const high = randn(2, [4, 16, 16]);
    expect(slerp(0, low, high, [4, 16, 16])).toEqual(low);
    expect(slerp(1, low, high, [4, 16, 16])).toEqual(high);
  });

  it('falls back to the reversed linear blend for parallel noise (strength 0 gives the subseed noise)', () => {
    const low = randn(3, [4, 8, 8]);
    const high = low.map((v) => v * 2);
    expect(slerp(0, low, high, [4, 8, 8])).toEqual(high);
    expect(slerp(0.25, low, high, [4, 8, 8])).toEqual(low.map((v, i) => Math.fround(v * 0.25) + Math.fround(high[i] * 0.75)));
  });
});
