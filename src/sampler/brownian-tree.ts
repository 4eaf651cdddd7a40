/**
 * The noise of A1111's SDE samplers (DPM++ SDE, 2M SDE, 3M SDE): a Brownian motion W over the noise levels
 * [σ_min, σ_max] of the image's schedule, fixed by the image's seed, so that the noise of a step depends only on the
 * levels it spans (k-diffusion `BrownianTreeNoiseSampler`, which A1111 seeds with the image seed; sd-pipeline.md §3.3).
 *
 * A1111 builds it with torchsde's `BrownianTree`, which this does not reproduce bit for bit (its node seeds and split
 * points are its own). This tree is ours: W at the dyadic points of the interval, each midpoint drawn from the
 * Brownian bridge between its parents with a torch-exact `randn` (noise.ts) seeded by (seed, level, index), down to
 * 2^-depth of the interval; W at any other level is drawn from the bridge of its finest cell, seeded by the level
 * itself. W at a level is a pure function of (seed, level), so runs and resumes give the same noise in any query order.
 */
import { TorchGenerator } from './noise.js';

/** Finest cell: 2^-20 of [σ_min, σ_max] (1.4e-5 for SD's 0.03 … 14.6), far below any two levels a sampler queries. */
const DEPTH = 20;

/** 32-bit mix of the seed and a node's coordinates (murmur3's finaliser over a running hash). */
function nodeSeed(seed: number, a: number, b: number): number {
  let h = seed >>> 0;
  for (const word of [a >>> 0, b >>> 0]) {
    h = Math.imul(h ^ word, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const levelBits = new DataView(new ArrayBuffer(8));

/** The two 32-bit halves of a float64, so that every distinct level draws its own bridge noise. */
function bitsOf(t: number): [number, number] {
  levelBits.setFloat64(0, t);
  return [levelBits.getUint32(0), levelBits.getUint32(4)];
}

/** One node of the current path: the cell [lo, hi] at some level and W at both ends. */
interface Cell {
  index: number;
  wLo: Float64Array;
  wHi: Float64Array;
}

export class BrownianTree {
  private readonly seed: number;
  /** The last path from the root, one cell per level, reused by the next query while the cells agree. */
  private readonly path: Cell[] = [];

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
    const root = new TorchGenerator(nodeSeed(this.seed, 0, 0)).randn(numel);
    const scale = Math.sqrt(t1 - t0);
    this.path.push({ index: 0, wLo: new Float64Array(numel), wHi: Float64Array.from(root, (z) => z * scale) });
  }

  /** W(t) − W(s), as k-diffusion's `BatchedBrownianTree.__call__(s, t)` (negated when s > t). */
  increment(s: number, t: number): Float64Array {
    const ws = this.at(s);
    const wt = this.at(t);
    return wt.map((v, j) => v - ws[j]);
  }

  /** W(t); t is clamped to the interval, as torchsde clamps queries just outside it. */
  at(t: number): Float64Array {
    const time = Math.min(Math.max(t, this.t0), this.t1);
    const width = this.t1 - this.t0;
    const position = ((time - this.t0) / width) * 2 ** DEPTH;
    const finest = Math.min(Math.floor(position), 2 ** DEPTH - 1);
    let cell = this.path[0];
    for (let level = 1; level <= DEPTH; level++) {
      const index = finest >>> (DEPTH - level);
      const cached = this.path[level];
      if (cached && cached.index === index && this.path[level - 1] === cell) {
        cell = cached;
        continue;
      }
      cell = this.child(cell, level, index);
      this.path.length = level;
      this.path.push(cell);
    }
    const cellWidth = width / 2 ** DEPTH;
    const lo = this.t0 + finest * cellWidth;
    const u = (time - lo) / cellWidth;
    if (u <= 0) return cell.wLo;
    if (u >= 1) return cell.wHi;
    // Brownian bridge inside the finest cell: mean on the chord, variance (t − lo)(hi − t)/(hi − lo).
    const z = new TorchGenerator(nodeSeed(this.seed, ...bitsOf(time))).randn(this.numel);
    const std = Math.sqrt(u * (1 - u) * cellWidth);
    return cell.wLo.map((w, j) => w + u * (cell.wHi[j] - w) + std * z[j]);
  }

  /** The half of `parent` at `level` with the given index: its midpoint drawn from the bridge over the parent. */
  private child(parent: Cell, level: number, index: number): Cell {
    const cellWidth = (this.t1 - this.t0) / 2 ** (level - 1);
    const z = new TorchGenerator(nodeSeed(this.seed, level, parent.index)).randn(this.numel);
    const std = Math.sqrt(cellWidth / 4);
    const mid = parent.wLo.map((w, j) => (w + parent.wHi[j]) / 2 + std * z[j]);
    return index % 2 === 0 ? { index, wLo: parent.wLo, wHi: mid } : { index, wLo: mid, wHi: parent.wHi };
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
