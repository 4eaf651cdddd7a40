import { KeyframeError } from '../errors.js';
import { beyondDoubleRange, type CompiledExpression, type ExpressionScope } from './expression.js';
import { interpolate, isInterpolation, type Interpolation } from '../numerics/interpolation.js';
import {
  asNumber,
  compileAt,
  keyframesOfObject,
  keyframesOfText,
  resolveKeyframes,
  sanitize,
  withDefaults,
  type ScheduleContextInput,
  type WrittenKeyframe,
} from './schedule-keys.js';
import type { NumericScheduleSource } from './schema.js';

/** A numeric schedule: the value at each frame, computed once. Frames past the end hold the last value. */
export interface Schedule {
  (frame: number): number;
  readonly values: Float64Array;
  /** Frames that carry a keyframe (inside the animation), ascending. */
  readonly keyframes: number[];
}

type KeyValue = number | CompiledExpression;

interface Key {
  frame: number;
  value: KeyValue;
  /** As written; undefined = not given. */
  interpolation?: Interpolation;
}

/**
 * A written value: a number (Deforum's sanitised number test, widened) or an expression evaluated every frame. A
 * literal past the double range (`1e400`) would be read as Infinity: an error, like an expression giving ±Infinity.
 */
function keyValue(written: WrittenKeyframe<unknown>): KeyValue {
  const { value } = written;
  const number = typeof value === 'string' ? asNumber(sanitize(value)) : value;
  if (typeof value === 'string' && number === undefined) return compileAt(value, (detail, offset) => written.fail('value', detail, offset));
  if (typeof number !== 'number') return written.fail('value', 'expected a number or an expression string');
  return Number.isFinite(number) ? number : written.fail('value', beyondDoubleRange);
}

/**
 * The interpolation written on a key. The schema checks it in files; this checks it for every caller (the library, a
 * command line's JSON), so that a name such as `constructor` is refused, never looked up.
 */
function keyInterpolation(written: WrittenKeyframe<unknown>): Interpolation | undefined {
  // Typed as a string, but a caller's JSON may hold anything here.
  const interpolation: unknown = written.interpolation;
  if (interpolation === undefined || (typeof interpolation === 'string' && isInterpolation(interpolation))) return interpolation;
  const named = typeof interpolation === 'string' && interpolation.length <= 40 ? ` ${JSON.stringify(interpolation)}` : '';
  return written.fail('value', `unknown interpolation${named}; expected linear, step, cubic or an easing such as easeInOutSine`);
}

/** Keyframes of any accepted source, unresolved. */
export function writtenKeyframes(source: NumericScheduleSource, name: string): WrittenKeyframe<unknown>[] {
  if (typeof source === 'number') return keyframesOfObject({ 0: source }, name, (v) => ({ value: v }));
  if (typeof source === 'string') return keyframesOfText(source, name);
  return keyframesOfObject(source, name, (v) => (typeof v === 'object' && v !== null ? v : { value: v }));
}

/**
 * Builds a schedule exactly as Deforum's `get_inbetweens` does (docs/deforum.md §a "In-between computation"): a numeric key
 * is a point; an expression key is evaluated on every frame with `t` until the next key; the gaps between points are
 * interpolated (linear for schedule strings, per key for structured keyframes); frames before the first point and
 * after the last hold that point's value (which also fills a NaN an expression gives). ±Infinity is an error.
 */
export function buildSchedule(source: NumericScheduleSource, contextInput: ScheduleContextInput, options: { integer?: boolean } = {}): Schedule {
  const context = withDefaults(contextInput);
  const keys: Key[] = resolveKeyframes(writtenKeyframes(source, context.name), context).map(({ frame, written }) => ({
    frame,
    value: keyValue(written),
    interpolation: keyInterpolation(written),
  }));
  const n = context.frames;
  const values = new Float64Array(n).fill(Number.NaN);
  // A gap uses the interpolation written on the key it arrives at, else the one on the key it leaves (Parseq's
  // "from this key on"), else linear.
  const leaving: (Interpolation | undefined)[] = new Array(n);
  const arriving: (Interpolation | undefined)[] = new Array(n);
  const scope: ExpressionScope = { t: 0, max_f: n - 1, s: context.seed };
  let next = 0;
  let active: CompiledExpression | undefined;
  let kind: Interpolation | undefined;
  for (let i = 0; i < n; i++) {
    if (next < keys.length && keys[next].frame === i) {
      const key = keys[next++];
      kind = key.interpolation;
      arriving[i] = key.interpolation;
      if (typeof key.value === 'number') {
        values[i] = key.value;
        active = undefined;
      } else active = key.value;
    }
    leaving[i] = kind;
    if (active) {
      scope.t = i;
      const value = active.evaluate(scope);
      if (value === Infinity || value === -Infinity) {
        throw new KeyframeError(`${context.name}: frame ${i}: '${active.source}' is ${value}, not a finite number`);
      }
      values[i] = value;
    }
  }
  fillGaps(values, (a, b) => arriving[b] ?? leaving[a] ?? 'linear', context.name);
  // Between finite keys near ±1.8e308 an in-between can still overflow.
  const overflow = values.findIndex((v) => !Number.isFinite(v));
  if (overflow >= 0) throw new KeyframeError(`${context.name}: frame ${overflow}: the in-between value is ${values[overflow]}, not a finite number`);
  if (options.integer) for (let i = 0; i < n; i++) values[i] = Math.trunc(values[i]);
  return scheduleOfValues(values, keys.map((k) => k.frame));
}

/** A schedule of values already computed per frame (a Parseq manifest's series); frames past the end hold the last. */
export function scheduleOfValues(values: Float64Array, keyframes: number[]): Schedule {
  const last = values.length - 1;
  const schedule = (frame: number) => values[Math.min(Math.max(Math.trunc(frame), 0), last)];
  return Object.assign(schedule, { values, keyframes });
}

function fillGaps(values: Float64Array, kindOf: (a: number, b: number) => Interpolation, name: string): void {
  const valid: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) valid.push(i);
  if (valid.length === 0) throw new KeyframeError(`${name}: frame 0: the schedule gives no number on any frame (NaN)`);
  values.fill(values[valid[0]], 0, valid[0]);
  values.fill(values[valid[valid.length - 1]], valid[valid.length - 1] + 1);
  const point = (j: number) => (j >= 0 && j < valid.length ? { x: valid[j], y: values[valid[j]] } : undefined);
  for (let j = 0; j + 1 < valid.length; j++) {
    const a = valid[j];
    const b = valid[j + 1];
    if (b - a < 2) continue;
    const pa = { x: a, y: values[a] };
    const pb = { x: b, y: values[b] };
    const before = point(j - 1);
    const after = point(j + 2);
    const kind = kindOf(a, b);
    for (let x = a + 1; x < b; x++) values[x] = interpolate(kind, x, pa, pb, before, after);
  }
}
