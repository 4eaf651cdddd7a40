/**
 * How a structured keyframe moves to the next one. `linear` is Deforum's (numpy.interp order of operations,
 * docs/deforum.md §a step 6); `step` holds; `cubic` is a Catmull-Rom style cubic Hermite spline through the keys; the
 * easings are the easings.net set Parseq offers, applied as `y0 + (y1 − y0)·ease(u)`.
 */
export type Ease = (u: number) => number;

const { PI, sqrt, sin, cos, pow } = Math;
const c1 = 1.70158;
const c2 = c1 * 1.525;
const c3 = c1 + 1;
const c4 = (2 * PI) / 3;
const c5 = (2 * PI) / 4.5;

function bounceOut(x: number): number {
  const n1 = 7.5625;
  const d1 = 2.75;
  if (x < 1 / d1) return n1 * x * x;
  if (x < 2 / d1) return n1 * (x -= 1.5 / d1) * x + 0.75;
  if (x < 2.5 / d1) return n1 * (x -= 2.25 / d1) * x + 0.9375;
  return n1 * (x -= 2.625 / d1) * x + 0.984375;
}

/** Power easings share one shape: in = xⁿ, out = 1 − (1 − x)ⁿ, inOut mirrors at ½. */
const powerEasings = (n: number): [Ease, Ease, Ease] => [
  (x) => pow(x, n),
  (x) => 1 - pow(1 - x, n),
  (x) => (x < 0.5 ? pow(2, n - 1) * pow(x, n) : 1 - pow(-2 * x + 2, n) / 2),
];

const families: Record<string, [Ease, Ease, Ease]> = {
  Sine: [(x) => 1 - cos((x * PI) / 2), (x) => sin((x * PI) / 2), (x) => -(cos(PI * x) - 1) / 2],
  Quad: powerEasings(2),
  Cubic: powerEasings(3),
  Quart: powerEasings(4),
  Quint: powerEasings(5),
  Expo: [
    (x) => (x === 0 ? 0 : pow(2, 10 * x - 10)),
    (x) => (x === 1 ? 1 : 1 - pow(2, -10 * x)),
    (x) => (x === 0 ? 0 : x === 1 ? 1 : x < 0.5 ? pow(2, 20 * x - 10) / 2 : (2 - pow(2, -20 * x + 10)) / 2),
  ],
  Circ: [
    (x) => 1 - sqrt(1 - x * x),
    (x) => sqrt(1 - (x - 1) * (x - 1)),
    (x) => (x < 0.5 ? (1 - sqrt(1 - (2 * x) ** 2)) / 2 : (sqrt(1 - (-2 * x + 2) ** 2) + 1) / 2),
  ],
  Back: [
    (x) => c3 * x ** 3 - c1 * x * x,
    (x) => 1 + c3 * (x - 1) ** 3 + c1 * (x - 1) ** 2,
    (x) => (x < 0.5 ? ((2 * x) ** 2 * ((c2 + 1) * 2 * x - c2)) / 2 : ((2 * x - 2) ** 2 * ((c2 + 1) * (x * 2 - 2) + c2) + 2) / 2),
  ],
  Elastic: [
    (x) => (x === 0 ? 0 : x === 1 ? 1 : -pow(2, 10 * x - 10) * sin((x * 10 - 10.75) * c4)),
    (x) => (x === 0 ? 0 : x === 1 ? 1 : pow(2, -10 * x) * sin((x * 10 - 0.75) * c4) + 1),
    (x) =>
      x === 0 ? 0 : x === 1 ? 1 : x < 0.5 ? -(pow(2, 20 * x - 10) * sin((20 * x - 11.125) * c5)) / 2 : (pow(2, -20 * x + 10) * sin((20 * x - 11.125) * c5)) / 2 + 1,
  ],
  Bounce: [(x) => 1 - bounceOut(1 - x), bounceOut, (x) => (x < 0.5 ? (1 - bounceOut(1 - 2 * x)) / 2 : (1 + bounceOut(2 * x - 1)) / 2)],
};

export const easings: Record<string, Ease> = Object.fromEntries(
  Object.entries(families).flatMap(([family, [easeIn, easeOut, easeInOut]]) => [
    [`easeIn${family}`, easeIn],
    [`easeOut${family}`, easeOut],
    [`easeInOut${family}`, easeInOut],
  ]),
);

export const interpolationNames = ['linear', 'step', 'cubic', ...Object.keys(easings)] as [string, ...string[]];
export type Interpolation = string;
/** An own name only: `constructor` or `toString` must not find what every object inherits. */
export const isInterpolation = (name: string): name is Interpolation => interpolationNames.includes(name);

interface Point {
  x: number;
  y: number;
}

/**
 * The value at `x` between valid points `a` and `b`. `before`/`after` are the valid points around the segment, used
 * by `cubic` for its tangents.
 */
export function interpolate(kind: Interpolation, x: number, a: Point, b: Point, before?: Point, after?: Point): number {
  if (kind === 'linear') return numpyInterp(x, a, b);
  if (kind === 'step') return a.y;
  const u = (x - a.x) / (b.x - a.x);
  if (kind === 'cubic') {
    const h = b.x - a.x;
    const secant = (b.y - a.y) / h;
    const ma = before ? (b.y - before.y) / (b.x - before.x) : secant;
    const mb = after ? (after.y - a.y) / (after.x - a.x) : secant;
    const u2 = u * u;
    const u3 = u2 * u;
    return (2 * u3 - 3 * u2 + 1) * a.y + (u3 - 2 * u2 + u) * h * ma + (-2 * u3 + 3 * u2) * b.y + (u3 - u2) * h * mb;
  }
  if (!Object.hasOwn(easings, kind)) throw new RangeError(`unknown interpolation '${kind}'`);
  return a.y + (b.y - a.y) * easings[kind](u);
}

/** numpy.interp's formula and NaN fallbacks, so in-betweens are bit-identical with Deforum (docs/deforum.md §a step 6). */
function numpyInterp(x: number, a: Point, b: Point): number {
  const slope = (b.y - a.y) / (b.x - a.x);
  let y = slope * (x - a.x) + a.y;
  if (Number.isNaN(y)) {
    y = slope * (x - b.x) + b.y;
    if (Number.isNaN(y) && a.y === b.y) y = a.y;
  }
  return y;
}
