/**
 * The noise of A1111's SDE samplers (DPM++ SDE, 2M SDE, 3M SDE): a Brownian motion W over the noise levels
 * [σ_min, σ_max] of the image's schedule, fixed by the image's seed, so that the noise of a step is the increment of
 * W over the levels it spans (k-diffusion `BrownianTreeNoiseSampler`, which A1111 seeds with the image seed;
 * docs/sd-pipeline.md §3.3).
 *
 * A1111 builds it with torchsde's `BrownianTree`, which this does not reproduce bit for bit (its node seeds and split
 * points are its own). This one is ours: W(σ_min) = 0, W(σ_max) ~ N(0, σ_max − σ_min), and each new level t is drawn
 * from the Brownian bridge between the nearest levels already drawn, a < t < b:
 * W(t) ~ N(W(a) + (t−a)/(b−a)·(W(b) − W(a)), (t−a)(b−t)/(b−a)), with normals from torch's generator (noise.ts)
 * seeded by (seed, t). By the Markov property every set of levels drawn this way is exactly Brownian; the values
 * depend on the seed and the order of the levels asked, which a sampler fixes, so runs and resumes get the same noise.
 */
import { TorchGenerator } from './noise.js';

/** 32-bit mix of the seed and a level's float64 bits (murmur3's finaliser over a running hash). */
function levelSeed(seed: number, level: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, level);
  let h = seed >>> 0;
  for (const word of [view.getUint32(0), view.getUint32(4)]) {
    h = Math.imul(h ^ word, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export class BrownianTree {
  private readonly seed: number;
  /** The levels drawn so far, ascending, and W at each. */
  private readonly levels: number[];
  private readonly values: Float64Array[];

  /**
   * @param seed the image seed (0 … 2^32−1)
   * @param numel values per draw (the latent's size)
   * @param t0 low end of the interval, σ_min of the schedule
   * @param t1 high end, σ_max
   */
  constructor(
    seed: number,
    private readonly numel: number,
    private readonly t0: number,
    private readonly t1: number,
  ) {
    if (!(t1 > t0)) throw new RangeError(`a Brownian tree needs t0 < t1, got [${t0}, ${t1}]`);
    this.seed = seed >>> 0;
    const scale = Math.sqrt(t1 - t0);
    this.levels = [t0, t1];
    this.values = [new Float64Array(numel), Float64Array.from(this.normals(t1), (z) => z * scale)];
  }

  /** W(t) − W(s), as k-diffusion's `BatchedBrownianTree.__call__(s, t)` (negated when s > t). */
  increment(s: number, t: number): Float64Array {
    const ws = this.at(s);
    const wt = this.at(t);
    return wt.map((v, j) => v - ws[j]);
  }

  /** W(t), drawn on first use; t is clamped to the interval, as torchsde clamps queries just outside it. */
  at(t: number): Float64Array {
    const time = Math.min(Math.max(t, this.t0), this.t1);
    let hi = 1;
    while (this.levels[hi] < time) hi++;
    if (this.levels[hi] === time) return this.values[hi];
    if (this.levels[hi - 1] === time) return this.values[hi - 1];
    const [a, b] = [this.levels[hi - 1], this.levels[hi]];
    const [wa, wb] = [this.values[hi - 1], this.values[hi]];
    const u = (time - a) / (b - a);
    const std = Math.sqrt((time - a) * (b - time) / (b - a));
    const z = this.normals(time);
    const w = wa.map((v, j) => v + u * (wb[j] - v) + std * z[j]);
    this.levels.splice(hi, 0, time);
    this.values.splice(hi, 0, w);
    return w;
  }

  private normals(level: number): Float32Array {
    return new TorchGenerator(levelSeed(this.seed, level)).normal(this.numel);
  }
}

/**
 * k-diffusion's `BrownianTreeNoiseSampler` over σ (A1111 passes no transform): the unit-variance noise of the step
 * from σ to σ_next, (W(σ_next) − W(σ))/√|σ_next − σ|.
 */
export function brownianNoiseSampler(tree: BrownianTree): (sigma: number, next: number) => Float32Array {
  return (sigma, next) => {
    const scale = 1 / Math.sqrt(Math.abs(next - sigma));
    return Float32Array.from(tree.increment(sigma, next), (w) => w * scale);
  };
}
