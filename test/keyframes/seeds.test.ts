import { describe, expect, it } from 'vitest';
import { derivedSeed, resolveRunSeed, seedOfDiffusedFrame } from '../../src/keyframes/seeds.js';
import { wrapSeed } from '../../src/numerics/seed-range.js';

const seeds = (seedBehavior: 'iter' | 'fixed' | 'ladder' | 'alternate' | 'random', count: number, seedIterN = 1, start = 100) =>
  Array.from({ length: count }, (_, k) => seedOfDiffusedFrame({ seedBehavior, seedIterN }, start, k));

describe('seed behaviours, per diffused frame k (docs/deforum.md §c table)', () => {
  it('iter: S + ceil(k/N); the first increment comes after frame 0 whatever N is', () => {
    expect(seeds('iter', 5)).toEqual([100, 101, 102, 103, 104]);
    expect(seeds('iter', 8, 3)).toEqual([100, 101, 101, 101, 102, 102, 102, 103]);
  });

  it('fixed: S', () => {
    expect(seeds('fixed', 3)).toEqual([100, 100, 100]);
  });

  it('ladder: S, S+2, S+1, S+3, S+2, S+4', () => {
    expect(seeds('ladder', 6)).toEqual([100, 102, 101, 103, 102, 104]);
  });

  it('alternate: S, S+1, S, S+1', () => {
    expect(seeds('alternate', 4)).toEqual([100, 101, 100, 101]);
  });

  it('random: S first, then reproducible uint32 seeds derived from S and k', () => {
    const a = seeds('random', 6);
    expect(a[0]).toBe(100);
    expect(seeds('random', 6)).toEqual(a);
    expect(new Set(a).size).toBe(6);
    for (const s of a) expect(s >= 0 && s <= 0xffffffff && Number.isInteger(s)).toBe(true);
    expect(seeds('random', 2, 1, 101)[1]).not.toBe(a[1]);
    expect(a[3]).toBe(derivedSeed(100, 'random', 3));
  });

  it('iter past 2^32 − 1 wraps to the low 32 bits', () => {
    expect(seeds('iter', 3, 1, 4294967295)).toEqual([4294967295, 0, 1]);
    expect(wrapSeed(-1)).toBe(4294967295);
  });
});

describe('run seed', () => {
  it('an explicit seed wins, then the file, and -1 picks a random one', () => {
    expect(resolveRunSeed(5, 9)).toEqual({ seed: 9, source: 'option' });
    expect(resolveRunSeed(5)).toEqual({ seed: 5, source: 'file' });
    const r = resolveRunSeed(-1);
    expect(r.source).toBe('random');
    expect(r.seed >= 0 && r.seed <= 0xffffffff).toBe(true);
    expect(() => resolveRunSeed(-1, 2 ** 32)).toThrow('seed 4294967296 is not an integer in 0-4294967295');
  });
});
