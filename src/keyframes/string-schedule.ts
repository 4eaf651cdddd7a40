import type { StringScheduleSource } from './schema.js';
import { keyframesOfObject, keyframesOfText, resolveKeyframes, sanitize, withDefaults, type ScheduleContextInput } from './schedule-keys.js';

/** A text-valued schedule (the sampler): each frame's value, computed once. */
export interface StringSchedule {
  (frame: number): string;
  readonly values: string[];
  readonly keyframes: number[];
}

/**
 * Deforum's string schedules (`is_single_string`, docs/deforum.md §a "String schedules"): the value without quotes and
 * parentheses holds until the next key. Frames before the first key take its value, like numeric schedules here.
 * `check` validates each distinct value once (e.g. a sampler name) and may throw through `fail`.
 */
export function buildStringSchedule(
  source: StringScheduleSource,
  contextInput: ScheduleContextInput,
  check?: (value: string, fail: (detail: string) => never) => void,
): StringSchedule {
  const context = withDefaults(contextInput);
  const written = typeof source === 'string' ? keyframesOfText(source, context.name) : keyframesOfObject(source, context.name, (v) => ({ value: v }));
  const keys = resolveKeyframes(written, context).map(({ frame, written: w }) => {
    // Checked, not String()-ed: a caller's JSON may hold an array nested deeper than String() can recurse.
    if (typeof w.value !== 'string') return w.fail('value', 'expected text, e.g. "euler_a"');
    const value = sanitize(w.value).trim();
    check?.(value, (detail) => w.fail('value', detail));
    return { frame, value };
  });
  const values: string[] = new Array(context.frames);
  let k = 0;
  for (let i = 0; i < context.frames; i++) {
    while (k + 1 < keys.length && keys[k + 1].frame <= i) k++;
    values[i] = keys[k].value;
  }
  const last = context.frames - 1;
  const schedule = (frame: number) => values[Math.min(Math.max(Math.trunc(frame), 0), last)];
  return Object.assign(schedule, { values, keyframes: keys.map((key) => key.frame) });
}
