import { describe, expect, it } from 'vitest';
import { formatWeight } from '../../../src/sampler/prompt/attention.js';

describe('formatWeight', () => {
  // Expected: python3 -c "print(repr(round(w, 4)))" for each w (CPython 3.11).
  const cases: Array<[number, string]> = [
    [1, '1.0'],
    [1.1 * 1.1, '1.21'],
    [1.1 ** 4, '1.4641'],
    [1 / 1.1, '0.9091'],
    [1.5730000000000004, '1.573'],
    [0.03125, '0.0312'], // a tie: half to even
    [0.09375, '0.0938'],
    [-1, '-1.0'],
    [-0, '-0.0'],
    [2.5e-5, '0.0'],
    [12345.67891, '12345.6789'],
    [1e16, '1e+16'],
    [1.5e17, '1.5e+17'],
    [Infinity, 'inf'],
  ];
  for (const [weight, shown] of cases) it(`${weight} → ${shown}`, () => expect(formatWeight(weight)).toBe(shown));
});
