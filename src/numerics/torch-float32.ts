/**
 * float32 arithmetic as PyTorch's CPU kernels (AVX2 build) compute it, so that noise and sigma schedules equal torch's
 * bit for bit: a correctly rounded float32 FMA, SLEEF 3.5's `expf`/`logf`/`powf` (u10, FMA variants, which torch's
 * vectorised `exp`/`log`/`pow` call), and `torch.linspace`'s vectorised evaluation. docs/sd-pipeline.md §3.1, §5.3.
 * Algorithms restated from their published descriptions; every function is checked against torch in the tests.
 */

export const f32 = Math.fround;

/**
 * Correctly rounded float32 fused multiply-add of float32 inputs: a·b is exact in a double, TwoSum gives the exact
 * error of the addition, and a double result lying exactly halfway between two floats is broken towards that error
 * (plain `fround(a*b + c)` would round twice).
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const rounded = f32(s);
  if (rounded === s) return rounded;
  // Rounding the double again can only go wrong when it lies exactly halfway between two floats: most calls end here.
  const other = 2 * s - rounded;
  if (f32(other) !== other) return rounded;
  const bv = s - p;
  const err = p - (s - bv) + (c - bv);
  if (err === 0) return rounded;
  return err > 0 ? Math.max(rounded, other) : Math.min(rounded, other);
}

/** Round half to even, as `cvtps2dq` in the default rounding mode. */
function rintEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const bits = new DataView(new ArrayBuffer(4));
/** The IEEE bits of a float32 value. */
export function floatBits(v: number): number {
  bits.setFloat32(0, v);
  return bits.getUint32(0);
}
/** The float32 value of IEEE bits. */
export function bitsFloat(u: number): number {
  bits.setUint32(0, u >>> 0);
  return bits.getFloat32(0);
}

/** A float32 double-float (head + tail), SLEEF's `vfloat2`. */
interface Df { x: number; y: number }

function dfAdd2(x: number, y: number): Df {
  const s = f32(x + y);
  const v = f32(s - x);
  return { x: s, y: f32(f32(x - f32(s - v)) + f32(y - v)) };
}
function dfAdd2DfF(x: Df, y: number): Df {
  const s = f32(x.x + y);
  const v = f32(s - x.x);
  return { x: s, y: f32(f32(f32(x.x - f32(s - v)) + f32(y - v)) + x.y) };
}
function dfAdd2DfDf(x: Df, y: Df): Df {
  const s = f32(x.x + y.x);
  const v = f32(s - x.x);
  const t = f32(f32(x.x - f32(s - v)) + f32(y.x - v));
  return { x: s, y: f32(t + f32(x.y + y.y)) };
}
function dfAddDfF(x: Df, y: number): Df {
  const s = f32(x.x + y);
  return { x: s, y: f32(f32(f32(x.x - s) + y) + x.y) };
}
function dfAddFDf(x: number, y: Df): Df {
  const s = f32(x + y.x);
  return { x: s, y: f32(f32(f32(x - s) + y.x) + y.y) };
}
function dfAddDfDf(x: Df, y: Df): Df {
  const s = f32(x.x + y.x);
  return { x: s, y: f32(f32(f32(f32(x.x - s) + y.x) + x.y) + y.y) };
}
function dfNormalize(t: Df): Df {
  const s = f32(t.x + t.y);
  return { x: s, y: f32(f32(t.x - s) + t.y) };
}
function dfScale(d: Df, s: number): Df {
  return { x: f32(d.x * s), y: f32(d.y * s) };
}
function dfMulDfF(x: Df, y: number): Df {
  const s = f32(x.x * y);
  return { x: s, y: fma32(x.y, y, fma32(x.x, y, -s)) };
}
function dfMulDfDf(x: Df, y: Df): Df {
  const s = f32(x.x * y.x);
  return { x: s, y: fma32(x.x, y.y, fma32(x.y, y.x, fma32(x.x, y.x, -s))) };
}
function dfSqu(x: Df): Df {
  const s = f32(x.x * x.x);
  return { x: s, y: fma32(f32(x.x + x.x), x.y, fma32(x.x, x.x, -s)) };
}
function dfDiv(n: Df, d: Df): Df {
  const t = f32(1 / d.x);
  const s = f32(n.x * t);
  const u = fma32(t, n.x, -s);
  const v = fma32(-d.y, t, fma32(-d.x, t, 1));
  return { x: s, y: fma32(s, v, fma32(n.y, t, u)) };
}

const FLT_MIN = 2 ** -126;
const R_LN2 = f32(1.442695040888963407359924681001892137426645954152985934135449406931);
const L2U = f32(0.693145751953125);
const L2L = f32(1.428606765330187045e-6);
const LN2_DF: Df = { x: f32(0.69314718246459960938), y: f32(-1.904654323148236017e-9) };
const FOUR_THIRDS = f32(1 / 0.75);

/** 2^e as a float32 (e within the normal exponent range). */
function pow2i(e: number): number {
  return bitsFloat(((e + 0x7f) << 23) >>> 0);
}

/** Shared front of SLEEF's logs: d = m·2^e with m in [0.75, 1.5), e as a float. */
function splitExponent(value: number): { m: number; e: number } {
  const tiny = value < FLT_MIN;
  const d = tiny ? f32(value * f32(2 ** 64)) : value;
  let e = ((floatBits(f32(d * FOUR_THIRDS)) >>> 23) & 0xff) - 0x7f;
  const m = bitsFloat(floatBits(d) + ((-e << 23) | 0));
  if (tiny) e -= 64;
  return { m, e };
}

/** SLEEF `xexpf` (`Sleef_expf8_u10`). */
export function sleefExpf(d: number): number {
  const q = rintEven(f32(d * R_LN2));
  let s = fma32(q, -L2U, d);
  s = fma32(q, -L2L, s);
  let u = f32(0.000198527617612853646278381);
  u = fma32(u, s, f32(0.00139304355252534151077271));
  u = fma32(u, s, f32(0.00833336077630519866943359));
  u = fma32(u, s, f32(0.0416664853692054748535156));
  u = fma32(u, s, f32(0.166666671633720397949219));
  u = fma32(u, s, 0.5);
  u = f32(1 + fma32(f32(s * s), u, s));
  const half = q >> 1;
  u = f32(f32(u * pow2i(half)) * pow2i(q - half));
  if (d < -104) return 0;
  if (d > 100) return Infinity;
  return u;
}

/** SLEEF `xlogf_u1` (`Sleef_logf8_u10`). */
export function sleefLogf(d: number): number {
  if (Number.isNaN(d) || d < 0) return NaN;
  if (d === 0) return -Infinity;
  if (d === Infinity) return Infinity;
  const { m, e } = splitExponent(d);
  let s = dfMulDfF(LN2_DF, e);
  const x = dfDiv(dfAdd2(-1, m), dfAdd2(1, m));
  const x2 = f32(x.x * x.x);
  let t = f32(0.3027294874);
  t = fma32(t, x2, f32(0.3996108174));
  t = fma32(t, x2, f32(0.666669488));
  s = dfAddDfDf(s, dfScale(x, 2));
  s = dfAddDfF(s, f32(f32(x2 * x.x) * t));
  return f32(s.x + s.y);
}

/** SLEEF `logkf`: log as a double-float, for `powf`. */
function logkf(d: number): Df {
  const { m, e } = splitExponent(d);
  const x = dfDiv(dfAdd2(-1, m), dfAdd2(1, m));
  const x2 = dfSqu(x);
  let t = f32(0.240320354700088500976562);
  t = fma32(t, x2.x, f32(0.285112679004669189453125));
  t = fma32(t, x2.x, f32(0.400007992982864379882812));
  const c: Df = { x: f32(0.66666662693023681640625), y: f32(3.69183861259614332084311e-9) };
  let s = dfMulDfF(LN2_DF, e);
  s = dfAddDfDf(s, dfScale(x, 2));
  return dfAddDfDf(s, dfMulDfDf(dfMulDfDf(x2, x), dfAdd2DfDf(dfMulDfF(x2, t), c)));
}

/** SLEEF `vldexp_vf_vf_vi2`: x·2^q in steps that stay in range. */
function ldexpf(x: number, q: number): number {
  let m = q >> 31;
  m = (((m + q) >> 6) - m) << 4;
  const rest = q - (m << 2);
  m += 0x7f;
  m = m > 0 ? m : 0;
  m = m > 0xff ? 0xff : m;
  const u = bitsFloat(m << 23);
  const scaled = f32(f32(f32(f32(x * u) * u) * u) * u);
  return f32(scaled * bitsFloat((rest + 0x7f) << 23));
}

/** SLEEF `expkf`: exp of a double-float, for `powf`. */
function expkf(d: Df): number {
  const q = rintEven(f32(f32(d.x + d.y) * R_LN2));
  let s = dfAdd2DfF(d, f32(q * -L2U));
  s = dfAdd2DfF(s, f32(q * -L2L));
  s = dfNormalize(s);
  let u = f32(0.00136324646882712841033936);
  u = fma32(u, s.x, f32(0.00836596917361021041870117));
  u = fma32(u, s.x, f32(0.0416710823774337768554688));
  u = fma32(u, s.x, f32(0.166665524244308471679688));
  u = fma32(u, s.x, f32(0.499999850988388061523438));
  let t = dfAddDfDf(s, dfMulDfF(dfSqu(s), u));
  t = dfAddFDf(1, t);
  const r = ldexpf(f32(t.x + t.y), q);
  return d.x < -104 ? 0 : r;
}

/** SLEEF `xpowf` (`Sleef_powf8_u10`) for a positive finite base. */
export function sleefPowf(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  const r = expkf(dfMulDfF(logkf(x), y));
  return Number.isNaN(r) ? Infinity : r;
}

/** Lanes per AVX2 float vector, and elements per unrolled step of torch's `vectorized_loop` (two vectors). */
const LANES = 8;
const UNROLL = 2 * LANES;

/**
 * `torch.linspace(start, end, n)` in float32 as torch 1.13's AVX2 kernel computes it: each 8-lane vector starts from
 * `start + step·i` (or `end − step·(n−1−i)` when the vector's first lane is past the middle; the product fused into
 * the add) and adds a rounded `k·step` per lane; elements after the last full 16 are computed one by one.
 */
export function linspaceF32(start: number, end: number, n: number): number[] {
  if (n === 1) return [f32(start)];
  const from = f32(start);
  const to = f32(end);
  const step = f32(f32(to - from) / (n - 1));
  const half = Math.floor(n / 2);
  const at = (i: number): number => (i < half ? fma32(step, i, from) : fma32(-step, n - i - 1, to));
  const out = new Array<number>(n);
  const vectorEnd = n - (n % UNROLL);
  for (let i = 0; i < vectorEnd; i += LANES) {
    const base = at(i);
    for (let k = 0; k < LANES; k++) out[i + k] = f32(base + f32(k * step));
  }
  for (let i = vectorEnd; i < n; i++) out[i] = at(i);
  return out;
}

// glibc 2.28+ `powf` (the scalar `std::pow` torch uses after the last full 16 elements): log2 over 16 table
// intervals, exp2 over 32, both in double, rounded once to float.
const POWF_INVC = [
  1.398907162146528, 1.3403141896637998, 1.286432210124115, 1.2367150214269895, 1.1906977166711752, 1.1479821020556429,
  1.1082251448272158, 1.0711297413057381, 1.036437278977283, 1.0, 0.9492859795739057, 0.8951049428609004,
  0.8476821620351103, 0.8050314851692001, 0.7664671008843108, 0.731428603316328,
];
const POWF_LOGC = [
  -0.48430022186289673, -0.42257122959194704, -0.3633754347673556, -0.30651309567405577, -0.25180720160537634,
  -0.19910014943794563, -0.14825100623281615, -0.09913323807318392, -0.051632812977629436, 0.0, 0.07508531937943004,
  0.15987125980713107, 0.2384046664317681, 0.31288288605863257, 0.38370422656453185, 0.451211048935815,
];
const POWF_LOG2_POLY = [0.288457581109214, -0.36092606229713164, 0.480898481472577, -0.7213474675006291, 1.4426950408774342];
const EXP2F_POLY = [0.05550361559341535, 0.2402284522445722, 0.6931471806916203];
/** 2^(i/32) as IEEE double bits minus i << 47. */
const EXP2F_TABLE = [
  0x3ff0000000000000n, 0x3fefd9b0d3158574n, 0x3fefb5586cf9890fn, 0x3fef9301d0125b51n, 0x3fef72b83c7d517bn,
  0x3fef54873168b9aan, 0x3fef387a6e756238n, 0x3fef1e9df51fdee1n, 0x3fef06fe0a31b715n, 0x3feef1a7373aa9cbn,
  0x3feedea64c123422n, 0x3feece086061892dn, 0x3feebfdad5362a27n, 0x3feeb42b569d4f82n, 0x3feeab07dd485429n,
  0x3feea47eb03a5585n, 0x3feea09e667f3bcdn, 0x3fee9f75e8ec5f74n, 0x3feea11473eb0187n, 0x3feea589994cce13n,
  0x3feeace5422aa0dbn, 0x3feeb737b0cdc5e5n, 0x3feec49182a3f090n, 0x3feed503b23e255dn, 0x3feee89f995ad3adn,
  0x3feeff76f2fb5e47n, 0x3fef199bdd85529cn, 0x3fef3720dcef9069n, 0x3fef5818dcfba487n, 0x3fef7c97337b9b5fn,
  0x3fefa4afa2a490dan, 0x3fefd0765b6e4540n,
];
const EXP2F_SHIFT = (1.5 * 2 ** 52) / 32;
const doubleBits = new DataView(new ArrayBuffer(8));

/** glibc `powf` for a positive normal base and a finite exponent whose result stays in float range. */
export function glibcPowf(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  const ix = floatBits(x);
  const tmp = (ix - 0x3f330000) >>> 0;
  const i = (tmp >>> 19) % 16;
  const top = (tmp & 0xff800000) >>> 0;
  const z = bitsFloat(ix - top);
  const k = (top | 0) >> 23;
  const r = z * POWF_INVC[i] - 1;
  const [a0, a1, a2, a3, a4] = POWF_LOG2_POLY;
  const r2 = r * r;
  const q = (a2 * r + a3) * r2 + (a4 * r + (POWF_LOGC[i] + k));
  const log2x = (a0 * r + a1) * (r2 * r2) + q;
  const ylogx = y * log2x;
  const shifted = ylogx + EXP2F_SHIFT;
  doubleBits.setFloat64(0, shifted);
  const ki = doubleBits.getBigUint64(0);
  const rest = ylogx - (shifted - EXP2F_SHIFT);
  doubleBits.setBigUint64(0, BigInt.asUintN(64, EXP2F_TABLE[Number(ki % 32n)] + (ki << 47n)));
  const scale = doubleBits.getFloat64(0);
  const [c0, c1, c2] = EXP2F_POLY;
  return f32(((c0 * rest + c1) * (rest * rest) + (c2 * rest + 1)) * scale);
}

/**
 * `tensor ** exponent` for a float32 tensor and a scalar exponent other than 0.5, −0.5, −1, 2, 3 and −2 (which torch
 * special-cases): SLEEF over each full 16 elements, glibc `powf` for the rest.
 */
export function powTensorScalarF32(values: readonly number[], exponent: number): number[] {
  const vectorEnd = values.length - (values.length % UNROLL);
  return values.map((v, i) => (i < vectorEnd ? sleefPowf(v, exponent) : glibcPowf(v, exponent)));
}

// SLEEF 3.5's single-precision trig (`xsinf_u1`, `xcosf_u1`, `xtanf_u1`, FMA variants), which torch's vectorised
// `sin`/`cos`/`tan` call even for a one-element tensor (Deforum's Euler angles and field of view; docs/deforum-3d.md §5).
// Only the Cody–Waite reduction for |d| < 125 is restated; larger arguments need SLEEF's Payne–Hanek path.
const PI_A2 = 3.1414794921875;
const PI_B2 = f32(0.00011315941810607910156);
const PI_C2 = f32(1.9841872589410058936e-9);
/** Largest |argument| the short range reduction covers (SLEEF's TRIGRANGEMAX2f). */
export const SLEEF_TRIG_MAX = 125;
const M_1_PI_F = f32(1 / Math.PI);
const M_2_PI_F = f32(2 / Math.PI);

function dfAdd(x: number, y: number): Df {
  const s = f32(x + y);
  return { x: s, y: f32(f32(x - s) + y) };
}
function dfMulToF(x: Df, y: Df): number {
  return fma32(x.x, y.x, fma32(x.y, y.x, f32(x.x * y.y)));
}
function dfRec(d: Df): Df {
  const s = f32(1 / d.x);
  return { x: s, y: f32(s * fma32(-d.y, s, fma32(-d.x, s, 1))) };
}
function checkTrigRange(d: number): void {
  // NaN goes through and comes out NaN, as SLEEF's does
  if (Math.abs(d) >= SLEEF_TRIG_MAX) throw new RangeError(`SLEEF float trig restated only for |x| < ${SLEEF_TRIG_MAX}, got ${d}`);
}

/** The polynomial shared by `xsinf_u1` and `xcosf_u1` on the reduced argument t. */
function sinCosKernel(t: Df): number {
  const s = dfSqu(t);
  let u = f32(2.6083159809786593541503e-6);
  u = fma32(u, s.x, f32(-0.0001981069071916863322258));
  u = fma32(u, s.x, f32(0.00833307858556509017944336));
  const x = dfAddFDf(1, dfMulDfDf(dfAdd(f32(-0.166666597127914428710938), f32(u * s.x)), s));
  return dfMulToF(t, x);
}

/** SLEEF `xsinf_u1` (`Sleef_sinf8_u10`) for |d| < 125. */
export function sleefSinf(d: number): number {
  checkTrigRange(d);
  const u = rintEven(f32(d * M_1_PI_F));
  const v = fma32(u, -PI_A2, d);
  let s = dfAdd2(v, f32(u * -PI_B2));
  s = dfAddDfF(s, f32(u * -PI_C2));
  const r = sinCosKernel(s);
  if (Object.is(d, -0)) return d;
  return (u & 1) === 1 ? -r : r;
}

/** SLEEF `xcosf_u1` (`Sleef_cosf8_u10`) for |d| < 125. */
export function sleefCosf(d: number): number {
  checkTrigRange(d);
  const dq = fma32(rintEven(fma32(d, M_1_PI_F, -0.5)), 2, 1);
  let s = dfAdd2(d, f32(dq * f32(-PI_A2 * 0.5)));
  s = dfAdd2DfF(s, f32(dq * f32(-PI_B2 * 0.5)));
  s = dfAdd2DfF(s, f32(dq * f32(-PI_C2 * 0.5)));
  const r = sinCosKernel(s);
  return (dq & 2) === 0 ? -r : r;
}

/** SLEEF `xtanf_u1` (`Sleef_tanf8_u10`) for |d| < 125. */
export function sleefTanf(d: number): number {
  checkTrigRange(d);
  const q = rintEven(f32(d * M_2_PI_F));
  const v = fma32(q, f32(-PI_A2 * 0.5), d);
  let s = dfAdd2(v, f32(q * f32(-PI_B2 * 0.5)));
  s = dfAddDfF(s, f32(q * f32(-PI_C2 * 0.5)));
  const odd = (q & 1) === 1;
  if (odd) s = { x: -s.x, y: -s.y };
  const t = s;
  s = dfNormalize(dfSqu(s));
  let u = f32(0.00446636462584137916564941);
  u = fma32(u, s.x, f32(-8.3920182078145444393158e-5));
  u = fma32(u, s.x, f32(0.0109639242291450500488281));
  u = fma32(u, s.x, f32(0.0212360303848981857299805));
  u = fma32(u, s.x, f32(0.0540687143802642822265625));
  let x = dfAdd(f32(0.133325666189193725585938), f32(u * s.x));
  x = dfAddFDf(1, dfMulDfDf(dfAddFDf(f32(0.33333361148834228515625), dfMulDfDf(s, x)), s));
  x = dfMulDfDf(t, x);
  if (odd) x = dfRec(x);
  if (Object.is(d, -0)) return d;
  return f32(x.x + x.y);
}

// SLEEF 3.5's `xacosf_u1` (`Sleef_acosf8_u10`, FMA variant), which torch's vectorised `acos` calls on every element
// (A1111's slerp of variation seeds; docs/sd-pipeline.md "Variation seeds").
const PI_DF: Df = { x: f32(3.1415927410125732422), y: f32(-8.7422776573475857731e-8) };
const HALF_PI_DF: Df = { x: f32(3.1415927410125732422 / 2), y: f32(-8.7422776573475857731e-8 / 2) };

/** SLEEF `dfsub_vf2_vf2_vf2` (|x| ≥ |y|). */
function dfSubDfDf(x: Df, y: Df): Df {
  const s = f32(x.x - y.x);
  const t = f32(f32(f32(x.x - s) - y.x) + x.y);
  return { x: s, y: f32(t - y.y) };
}

/** SLEEF `dfsqrt_vf2_vf`: √d as a double-float, one Newton step on the float square root. */
function dfSqrt(d: number): Df {
  const t = f32(Math.sqrt(d));
  const square: Df = { x: f32(t * t), y: fma32(t, t, -f32(t * t)) };
  const s = f32(d + square.x);
  const v = f32(s - d);
  const sum: Df = { x: s, y: f32(f32(f32(d - f32(s - v)) + f32(square.x - v)) + square.y) };
  const r = f32(1 / t);
  const reciprocal: Df = { x: r, y: f32(r * fma32(-t, r, 1)) };
  return dfScale(dfMulDfDf(sum, reciprocal), 0.5);
}

/** `x` with the sign of `x` flipped when `sign` is negative (SLEEF `vmulsign`). */
const mulSign = (x: number, sign: number): number => (sign < 0 || Object.is(sign, -0) ? -x : x);

/** SLEEF `xacosf_u1` (`Sleef_acosf8_u10`); NaN outside [−1, 1]. */
export function sleefAcosf(d: number): number {
  const a = Math.abs(d);
  const small = a < 0.5;
  const x2 = small ? f32(d * d) : f32(f32(1 - a) * 0.5);
  let x: Df = small ? { x: a, y: 0 } : dfSqrt(x2);
  if (a === 1) x = { x: 0, y: 0 };
  let u = f32(0.4197454825e-1);
  u = fma32(u, x2, f32(0.2424046025e-1));
  u = fma32(u, x2, f32(0.4547423869e-1));
  u = fma32(u, x2, f32(0.7495029271e-1));
  u = fma32(u, x2, f32(0.1666677296));
  u = f32(u * f32(x2 * x.x));
  let y = dfSubDfDf(HALF_PI_DF, dfAdd(mulSign(x.x, d), mulSign(u, d)));
  x = dfAddDfF(x, u);
  if (!small) y = dfScale(x, 2);
  if (!small && d < 0) y = dfSubDfDf(PI_DF, y);
  return f32(y.x + y.y);
}
