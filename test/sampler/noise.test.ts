import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { randn, TorchGenerator } from '../../src/sampler/noise.js';
import { repoRoot } from '../helpers.js';

interface Draw { numel: number; sha256: string; values?: number[]; first?: number[]; last?: number[] }
interface Case extends Draw { seed: number; shape: number[] }
interface Fixture { generator: string; cases: Case[]; aliases: Case[]; sequences: Array<{ seed: number; draws: Draw[] }> }

const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/torch-randn.json'), 'utf8')) as Fixture;

function sha256(values: Float32Array): string {
  return createHash('sha256').update(Buffer.from(values.buffer, values.byteOffset, values.byteLength)).digest('hex');
}

function expectDraw(actual: Float32Array, expected: Draw): void {
  expect(actual.length).toBe(expected.numel);
  if (expected.values) expect(Array.from(actual)).toEqual(expected.values);
  if (expected.first) expect(Array.from(actual.subarray(0, 16))).toEqual(expected.first);
  if (expected.last) expect(Array.from(actual.subarray(actual.length - 16))).toEqual(expected.last);
  expect(sha256(actual)).toBe(expected.sha256);
}

describe('randn matches torch.manual_seed(seed); torch.randn(shape) bit for bit', () => {
  it('reproduces the public check values of docs/sd-pipeline.md §5.5', () => {
    const scalar = randn(0, [4]);
    [1.5409961, -0.2934289, -2.1787894, 0.5684313].forEach((v, i) => expect(scalar[i]).toBeCloseTo(v, 6));
    const zero16 = randn(0, [16]);
    expect(zero16[0]).toBeCloseTo(-1.1258398, 6);
    expect(zero16[1]).toBeCloseTo(-1.1523602, 6);
    // The AVX2 value; torch's default-capability build gives 1.9269150.
    expect(randn(42, [16])[0]).toBeCloseTo(1.9269153, 7);
  });

  it.each(fixture.cases.map((c) => [c.seed, c.shape.join('×'), c] as const))('seed %s shape %s', (_seed, _shape, c) => {
    expectDraw(randn(c.seed, c.shape), c);
  });

  it('uses only the low 32 bits of the seed (2^32 ≡ 0, −1 ≡ 2^32−1)', () => {
    for (const c of fixture.aliases) {
      expectDraw(randn(BigInt(c.seed), c.shape), c);
    }
    expect(randn(2 ** 32, [20])).toEqual(randn(0, [20]));
  });

  it.each(fixture.sequences.map((s) => [s.seed, s.draws.map((d) => d.numel).join(', '), s] as const))(
    'continues one generator (seed %s, draws of %s) like torch.Generator, cached normal included',
    (_seed, _sizes, s) => {
      const generator = new TorchGenerator(s.seed);
      for (const draw of s.draws) expectDraw(generator.randn(draw.numel), draw);
    },
  );

  it('returns an empty tensor for a zero-sized shape and rejects non-integer dimensions', () => {
    expect(randn(0, [0, 4]).length).toBe(0);
    expect(() => randn(0, [2.5])).toThrow(/non-negative integers/);
    expect(() => randn(1.5, [4])).toThrow(/integer/);
  });
});

describe('TorchGenerator.rand', () => {
  it('equals torch.rand on the CPU, continuing the stream after randn', () => {
    // torch 1.13.1: torch.manual_seed(0); torch.rand(5)
    expect(Array.from(new TorchGenerator(0).rand(5))).toEqual(
      [0.49625658988952637, 0.7682217955589294, 0.08847743272781372, 0.13203048706054688, 0.30742281675338745],
    );
    // g = torch.Generator().manual_seed(7); torch.randn(3*64*64, generator=g); torch.rand(81, generator=g)[:4]
    const g = new TorchGenerator(7);
    g.randn(3 * 64 * 64);
    expect(Array.from(g.rand(81).slice(0, 4))).toEqual([0.869138777256012, 0.9161238074302673, 0.38900184631347656, 0.2185690999031067]);
  });
});

describe('TorchGenerator.normal', () => {
  it('is torch\'s scalar randn path at any length: torch.randn(n) for n < 16, continued draw by draw', () => {
    expect(Array.from(new TorchGenerator(0).normal(4))).toEqual(Array.from(randn(0, [4])));
    const long = new TorchGenerator(3).normal(40);
    const g = new TorchGenerator(3);
    const pieces = [g.randn(15), g.randn(15), g.randn(10)];
    expect(Array.from(long)).toEqual(pieces.flatMap((p) => Array.from(p)));
  });
});
