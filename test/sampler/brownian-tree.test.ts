import { describe, expect, it } from 'vitest';
import { BrownianTree, brownianNoiseSampler } from '../../src/sampler/brownian-tree.js';
import { karrasSigmas, NoiseSchedule } from '../../src/sampler/sigmas.js';

const schedule = new NoiseSchedule();
const [sigmaMin, sigmaMax] = [schedule.sigmaMin, schedule.sigmaMax];
const numel = 4096;

const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
const variance = (v: ArrayLike<number>) => {
  const m = mean(v);
  return Array.from(v).reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
};
const correlation = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  const [ma, mb] = [mean(a), mean(b)];
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - ma) * (b[j] - mb);
  return s / a.length / Math.sqrt(variance(a) * variance(b));
};

describe('BrownianTree', () => {
  it('gives the same noise for the same seed and steps: on a second run and on a resume (a fresh tree)', () => {
    const sigmas = karrasSigmas(12, sigmaMin, sigmaMax).slice(0, -1);
    const run = () => {
      const tree = new BrownianTree(7, 64, sigmaMin, sigmaMax);
      return sigmas.slice(0, -1).map((s, i) => tree.increment(s, sigmas[i + 1]));
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new BrownianTree(8, 64, sigmaMin, sigmaMax).increment(sigmas[0], sigmas[1])).not.toEqual(first[0]);
    // a level asked again gives the value it got the first time
    const tree = new BrownianTree(7, 64, sigmaMin, sigmaMax);
    const w = Float64Array.from(tree.at(3.3));
    tree.at(2.1);
    tree.at(5.7);
    expect(tree.at(3.3)).toEqual(w);
  });

  it('starts at 0 and adds up: W(s,t) + W(t,u) = W(s,u), also over tiny intervals', () => {
    const tree = new BrownianTree(3, 256, sigmaMin, sigmaMax);
    expect(Array.from(tree.at(sigmaMin))).toEqual(new Array(256).fill(0));
    for (const [s, t, u] of [[14.6, 3.3, 0.2], [0.0292, 0.0293, 1.7], [5.0000001, 5.0000002, 5.0000003]]) {
      const [a, b, c] = [tree.increment(s, t), tree.increment(t, u), tree.increment(s, u)];
      for (let j = 0; j < 256; j++) expect(Math.abs(a[j] + b[j] - c[j])).toBeLessThan(1e-12);
    }
  });

  it('has increments ~ N(0, Δ), independent over disjoint intervals, whatever order the levels are drawn in', () => {
    const tree = new BrownianTree(12345, numel, sigmaMin, sigmaMax);
    const levels = [sigmaMax, 9.7, 6.1, 3.33, 1.2, 0.5, 0.21, 0.0713001, 0.0713, sigmaMin];
    for (const level of [0.5, 0.0713001, 6.1, 0.21, 9.7, 0.0713, 1.2, 3.33]) tree.at(level);
    const increments = levels.slice(0, -1).map((s, i) => tree.increment(levels[i + 1], s));
    // 5 standard errors of the estimates over 4096 samples
    increments.forEach((w, i) => {
      const delta = levels[i] - levels[i + 1];
      expect(Math.abs(mean(w))).toBeLessThan(5 * Math.sqrt(delta / numel));
      expect(Math.abs(variance(w) / delta - 1)).toBeLessThan(5 * Math.sqrt(2 / numel));
    });
    for (let i = 0; i < increments.length; i++) {
      for (let k = i + 1; k < increments.length; k++) expect(Math.abs(correlation(increments[i], increments[k]))).toBeLessThan(5 / Math.sqrt(numel));
    }
    // and W(s,u) = W(s,t) + W(t,u) has the variance of the whole interval
    const whole = tree.increment(levels[3], levels[0]);
    expect(Math.abs(variance(whole) / (levels[0] - levels[3]) - 1)).toBeLessThan(5 * Math.sqrt(2 / numel));
  });

  it('clamps levels outside [σ_min, σ_max] to the ends, as torchsde does', () => {
    const tree = new BrownianTree(1, 16, 1, 2);
    expect(tree.at(2.5)).toEqual(tree.at(2));
    expect(tree.at(0.5)).toEqual(tree.at(1));
    expect(() => new BrownianTree(1, 16, 2, 2)).toThrow(/t0 < t1/);
  });
});

describe('brownianNoiseSampler', () => {
  it('gives unit-variance noise per step, (W(σ_next) − W(σ))/√|σ − σ_next| as k-diffusion', () => {
    const tree = new BrownianTree(99, numel, sigmaMin, sigmaMax);
    const noise = brownianNoiseSampler(tree);
    const z = noise(3.1, 2.2);
    expect(z).toBeInstanceOf(Float32Array);
    expect(Math.abs(variance(z) - 1)).toBeLessThan(5 * Math.sqrt(2 / numel));
    const w = tree.increment(3.1, 2.2);
    z.forEach((v, j) => expect(v).toBeCloseTo(w[j] / Math.sqrt(0.9), 6));
  });
});
