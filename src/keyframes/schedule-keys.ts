import { KeyframeError } from '../errors.js';
import { compileExpression, ExpressionError, type CompiledExpression } from './expression.js';
import { ScheduleSyntaxError, splitScheduleText, type ScheduleTextPart } from './schedule-text.js';

/** An error about one entry of a structured schedule or of `prompts`; `field` is the JSON path below the schedule. */
export class KeyframeFieldError extends KeyframeError {
  constructor(
    readonly scheduleName: string,
    readonly field: string[],
    readonly detail: string,
    /** The problem is in the key itself, not its value. */
    readonly inKey = false,
  ) {
    super(`${[scheduleName, ...field].join('.')}: ${detail}`);
  }
}

/** What every schedule needs to know about the run. */
export interface ScheduleContext {
  /** max_frames; frames run 0 … frames − 1. */
  frames: number;
  /** The run's resolved seed, `s` in expressions. */
  seed: number;
  /** Where the schedule comes from, e.g. `schedules.zoom`; starts every error message. */
  name: string;
  /** Receives non-fatal findings such as keys outside the animation. */
  onWarning?: (message: string) => void;
}

/** A context as callers may give it: `s` defaults to −1 (Deforum's FrameInterpolater default), the name to "schedule". */
export type ScheduleContextInput = Omit<ScheduleContext, 'seed' | 'name'> & Partial<Pick<ScheduleContext, 'seed' | 'name'>>;

export const withDefaults = (context: ScheduleContextInput): ScheduleContext => ({ seed: -1, name: 'schedule', ...context });

/** One keyframe as written: key text, raw value text, and a way to report a problem at a point inside either. */
export interface WrittenKeyframe<V> {
  key: string;
  value: V;
  interpolation?: string;
  /** Throws a KeyframeError about the key (`part: 'key'`) or the value, `offset` characters into it. */
  fail(part: 'key' | 'value', detail: string, offset?: number): never;
}

/** Deforum strips every quote and parenthesis before its number test (`sanitize_value`, docs/deforum.md §a). */
export const sanitize = (text: string): string => text.replace(/["'()]/g, '');

/**
 * Deforum's number test plus the quirk-table fixes: surrounding spaces, `1e-3` and `5.` are numbers too, so they
 * interpolate instead of becoming held expressions. A lone sign is not a number.
 */
const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
export const asNumber = (text: string): number | undefined => (numberPattern.test(text.trim()) ? Number(text.trim()) : undefined);

/** The keyframes of a schedule string, each able to point at its position in the string. */
export function keyframesOfText(source: string, name: string): WrittenKeyframe<string>[] {
  return splitScheduleText(source, name).map(({ key, value }) => {
    const at = (p: ScheduleTextPart, detail: string, offset = 0): never => {
      throw new ScheduleSyntaxError(name, source, p.offset + Math.min(offset, Math.max(0, p.text.length - 1)), detail);
    };
    return {
      key: key.text,
      value: value.text,
      fail: (which, detail, offset) => (which === 'key' ? at(key, detail, offset) : at(value, `value of key ${key.text}: ${detail}`, offset)),
    };
  });
}

/** The keyframes of a structured object `{"0": …, "30": …}`; errors name the key's JSON path. */
export function keyframesOfObject<V>(entries: Record<string, V>, name: string, valueOf: (v: V) => { value: unknown; interpolation?: string }): WrittenKeyframe<unknown>[] {
  return Object.entries(entries).map(([key, raw]) => {
    const { value, interpolation } = valueOf(raw);
    return {
      key,
      value,
      interpolation,
      fail: (which, detail): never => {
        throw new KeyframeFieldError(name, which === 'value' && typeof raw === 'object' && raw !== null ? [key, 'value'] : [key], detail, which === 'key');
      },
    };
  });
}

/** Compiles `text`, turning a sandbox refusal into an error at the right place. */
export function compileAt(text: string, fail: (detail: string, offset?: number) => never, options: { literal?: boolean } = {}): CompiledExpression {
  try {
    return compileExpression(text, options);
  } catch (error) {
    if (error instanceof ExpressionError) fail(error.message, error.offset);
    throw error;
  }
}

/**
 * The frame a key names: an integer literal, or an expression in `max_f` and `s` truncated toward zero, as Deforum's
 * `parse_key_frames` does (docs/deforum.md §a step 2).
 */
export function resolveKeyFrame(key: string, context: ScheduleContext, fail: (detail: string, offset?: number) => never): number {
  const sanitized = sanitize(key).trim();
  if (/^[+-]?\d+$/.test(sanitized)) return Number.parseInt(sanitized, 10);
  const literal = asNumber(sanitized);
  if (literal !== undefined) {
    if (!Number.isInteger(literal)) fail(`frame key '${key}' is not a whole number`);
    return literal;
  }
  const unquoted = key.trim().replace(/^["']/, '').replace(/["']$/, '');
  const expression = compileAt(unquoted, (detail, offset) => fail(`frame key '${key}': ${detail}`, offset));
  if (expression.usesT) fail(`frame key '${key}' cannot use t (keys may use max_f and s)`);
  const frame = expression.evaluate({ t: 0, max_f: context.frames - 1, s: context.seed });
  if (!Number.isFinite(frame)) fail(`frame key '${key}' is ${frame}, not a frame number`);
  return Math.trunc(frame);
}

export interface ResolvedKeyframe<V> {
  frame: number;
  written: WrittenKeyframe<V>;
}

/**
 * Resolves keys to frames, drops (with one warning) those outside 0 … frames − 1 and lets the last duplicate win, as
 * Deforum does (docs/deforum.md §a steps 1 and 4). Sorted by frame.
 */
export function resolveKeyframes<V>(written: WrittenKeyframe<V>[], context: ScheduleContext): ResolvedKeyframe<V>[] {
  const byFrame = new Map<number, ResolvedKeyframe<V>>();
  const outside: string[] = [];
  for (const keyframe of written) {
    const frame = resolveKeyFrame(keyframe.key, context, (detail, offset) => keyframe.fail('key', detail, offset));
    if (frame < 0 || frame >= context.frames) outside.push(`'${keyframe.key}' is frame ${frame}`);
    else byFrame.set(frame, { frame, written: keyframe });
  }
  if (outside.length > 0) context.onWarning?.(ignoredKeysWarning(context.name, outside, `outside 0-${context.frames - 1}`));
  if (byFrame.size === 0) throw new KeyframeError(`${context.name}: no keyframe inside frames 0-${context.frames - 1}`);
  return [...byFrame.values()].sort((a, b) => a.frame - b.frame);
}

/** One warning for all ignored keys, however many (a file may hold 100,000): `keys` are "'KEY' is frame N". */
export function ignoredKeysWarning(name: string, keys: string[], where: string): string {
  if (keys.length === 1) return `${name}: key ${keys[0]}, ${where}; ignored`;
  return `${name}: ${keys.length} keys are ${where}; ignored: ${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''}`;
}
