/**
 * Bit-exact port of `torch.manual_seed(seed); torch.randn(n)` on the CPU for float32, as PyTorch's AVX2 build
 * computes it (AUTOMATIC1111 with "RNG source: CPU"). docs/sd-pipeline.md §5.
 *
 * - MT19937 seeded with the low 32 bits of the seed (torch's `mt19937(seed)`; seed 2^32 ≡ 0, −1 ≡ 2^32−1). §5.1
 * - numel ≥ 16: one 24-bit float uniform per element, Box–Muller over blocks of 16 with avx_mathfun's float32
 *   log/sincos and the fused multiply-adds GCC emits for them; a 16-element tail re-draw when numel % 16 ≠ 0. §5.3
 * - numel < 16: torch's scalar double path (53-bit uniforms, pairs with a cached sine). §5.3
 * A generator continues its stream across calls exactly like a `torch.Generator`, cached normal included.
 */

import { bitsFloat, f32, fma32, floatBits } from '../numerics/torch-float32.js';

const MT_N = 624;
const MT_M = 397;

/** MT19937 as torch's `at::mt19937` (the reference `genrand_int32` stream). §5.1 */
class Mt19937 {
  private readonly state = new Uint32Array(MT_N);
  private index = MT_N;

  constructor(seed32: number) {
    const s = this.state;
    s[0] = seed32 >>> 0;
    for (let j = 1; j < MT_N; j++) {
      const prev = s[j - 1];
      s[j] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + j) >>> 0;
    }
  }

  nextUint32(): number {
    if (this.index >= MT_N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    for (let k = 0; k < MT_N; k++) {
      const y = (s[k] & 0x80000000) | (s[(k + 1) % MT_N] & 0x7fffffff);
      s[k] = s[(k + MT_M) % MT_N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

// avx_mathfun.h constants, as the C float initialisers round them.
const SQRTHF = f32(0.707106781186547524);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f32);
const LOG_Q1 = f32(-2.1219444e-4);
const LOG_Q2 = f32(0.693359375);
const MINUS_DP1 = f32(-0.78515625);
const MINUS_DP2 = f32(-2.4187564849853515625e-4);
const MINUS_DP3 = f32(-3.77489497744594108e-8);
const SIN_P0 = f32(-1.9515295891e-4);
const SIN_P1 = f32(8.3321608736e-3);
const SIN_P2 = f32(-1.6666654611e-1);
const COS_P0 = f32(2.443315711809948e-5);
const COS_P1 = f32(-1.388731625493765e-3);
const COS_P2 = f32(4.166664568298827e-2);
const FOPI = f32(1.27323954473516);
const TWO_PI = f32(2 * Math.PI);

/** `log256_ps` for one lane, u in (0, 1], with the FMA contraction of torch's GCC build. §5.3 */
function logAvx(u: number): number {
  const bits = floatBits(u);
  let x = bitsFloat((bits & ~0x7f800000) | 0x3f000000);
  let e = f32((bits >>> 23) - 127 + 1);
  if (x < SQRTHF) {
    e = f32(e - 1);
    x = f32(f32(x - 1) + x);
  } else {
    x = f32(x - 1);
  }
  const z = f32(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < LOG_P.length; k++) y = fma32(y, x, LOG_P[k]);
  y = f32(y * x);
  y = fma32(y, z, f32(e * LOG_Q1));
  y = f32(y - z * 0.5);
  return fma32(e, LOG_Q2, f32(x + y));
}

/** `sincos256_ps` for one lane, theta ≥ 0; writes [sin, cos] into `out`. §5.3 */
function sincosAvx(theta: number, out: Float64Array): void {
  let j = Math.trunc(f32(theta * FOPI));
  j = (j + 1) & ~1;
  const y = j;
  let x = fma32(y, MINUS_DP1, theta);
  x = fma32(y, MINUS_DP2, x);
  x = fma32(y, MINUS_DP3, x);
  const z = f32(x * x);

  let cosPoly = fma32(fma32(COS_P0, z, COS_P1), z, COS_P2);
  cosPoly = f32(cosPoly * z);
  cosPoly = fma32(cosPoly, z, -(z * 0.5));
  cosPoly = f32(cosPoly + 1);

  let sinPoly = fma32(fma32(SIN_P0, z, SIN_P1), z, SIN_P2);
  sinPoly = f32(sinPoly * z);
  sinPoly = fma32(sinPoly, x, x);

  const sinFirst = (j & 2) === 0;
  // `+ 0` turns −0 into +0 as the mask-and-add selection does; the sign flips then apply as XORs.
  const sin = (sinFirst ? sinPoly : cosPoly) + 0;
  const cos = (sinFirst ? cosPoly : sinPoly) + 0;
  out[0] = j & 4 ? -sin : sin;
  out[1] = ~(j - 2) & 4 ? -cos : cos;
}

const sincos = new Float64Array(2);

/** `normal_fill_16_AVX2` with mean 0, std 1: lane j pairs uniforms data[at+j] and data[at+j+8]. */
function boxMuller16(data: Float32Array, at: number): void {
  for (let j = 0; j < 8; j++) {
    const radius = f32(Math.sqrt(f32(-2 * logAvx(f32(1 - data[at + j])))));
    sincosAvx(f32(TWO_PI * data[at + j + 8]), sincos);
    data[at + j] = radius * sincos[1];
    data[at + j + 8] = radius * sincos[0];
  }
}

const TWO_POW_24 = 2 ** 24;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/** Normalises a seed to the 32 bits torch's MT19937 keeps (negative seeds wrap as torch maps them to 2^64 + seed). */
export function seedToUint32(seed: number | bigint): number {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be an integer, got ${seed}`);
  }
  return Number(BigInt.asUintN(32, BigInt(seed)));
}

/** A torch CPU generator after `manual_seed(seed)`: successive `randn` calls continue one stream. */
export class TorchGenerator {
  private readonly engine: Mt19937;
  private cachedNormal: number | undefined;

  constructor(seed: number | bigint) {
    this.engine = new Mt19937(seedToUint32(seed));
  }

  /** `torch.randn(numel, generator=g)` as float32, contiguous. */
  randn(numel: number): Float32Array {
    if (!Number.isSafeInteger(numel) || numel < 0) throw new RangeError(`numel must be a non-negative integer, got ${numel}`);
    return numel >= 16 ? this.randnVectorised(numel) : this.randnScalar(numel);
  }

  /**
   * `numel` draws of torch's scalar normal path (`normal_distribution<double>`, what `randn` uses below 16 elements),
   * for any count: about ten times faster than the vectorised kernel's emulation, for noise that need not equal
   * torch's `randn` of that size (the Brownian tree's nodes).
   */
  normal(numel: number): Float32Array {
    if (!Number.isSafeInteger(numel) || numel < 0) throw new RangeError(`numel must be a non-negative integer, got ${numel}`);
    return this.randnScalar(numel);
  }

  /** `torch.rand(numel, generator=g)` as float32: one 24-bit uniform per element, serially (DistributionsHelper.h). */
  rand(numel: number): Float32Array {
    if (!Number.isSafeInteger(numel) || numel < 0) throw new RangeError(`numel must be a non-negative integer, got ${numel}`);
    const data = new Float32Array(numel);
    for (let i = 0; i < numel; i++) data[i] = this.uniformFloat();
    return data;
  }

  private uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) / TWO_POW_24;
  }

  private uniformDouble(): number {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) / TWO_POW_53;
  }

  private randnVectorised(numel: number): Float32Array {
    const data = new Float32Array(numel);
    for (let i = 0; i < numel; i++) data[i] = this.uniformFloat();
    for (let i = 0; i < numel - 15; i += 16) boxMuller16(data, i);
    if (numel % 16 !== 0) {
      const at = numel - 16;
      for (let i = 0; i < 16; i++) data[at + i] = this.uniformFloat();
      boxMuller16(data, at);
    }
    return data;
  }

  /** `normal_distribution<double>`: Box–Muller pairs, the sine cached for the next element (or next call). */
  private randnScalar(numel: number): Float32Array {
    const data = new Float32Array(numel);
    for (let i = 0; i < numel; i++) {
      if (this.cachedNormal !== undefined) {
        data[i] = this.cachedNormal;
        this.cachedNormal = undefined;
        continue;
      }
      const u1 = this.uniformDouble();
      const u2 = this.uniformDouble();
      const r = Math.sqrt(-2 * Math.log(1 - u2));
      const theta = 2 * Math.PI * u1;
      this.cachedNormal = r * Math.sin(theta);
      data[i] = r * Math.cos(theta);
    }
    return data;
  }
}

/** Number of elements of a tensor shape; every dimension must be a non-negative integer. */
export function shapeNumel(shape: readonly number[]): number {
  let numel = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw new RangeError(`shape dimensions must be non-negative integers, got ${dim}`);
    numel *= dim;
  }
  return numel;
}

/** `torch.manual_seed(seed); torch.randn(shape)`, flattened in C order. */
export function randn(seed: number | bigint, shape: readonly number[]): Float32Array {
  return new TorchGenerator(seed).randn(shapeNumel(shape));
}
