import { describe, expect, it } from 'vitest';
import { KeyframeError } from '../../src/errors.js';
import { importDeforumSettings } from '../../src/keyframes/deforum-import.js';
import { compileExpression } from '../../src/keyframes/expression.js';
import { buildPromptSchedule } from '../../src/keyframes/prompts.js';
import { buildSchedule } from '../../src/keyframes/schedule.js';
import type { NumericScheduleSource } from '../../src/keyframes/schema.js';
import { buildStringSchedule } from '../../src/keyframes/string-schedule.js';

/**
 * Every name a plain object inherits (constructor, __proto__, toString, valueOf, hasOwnProperty, __defineGetter__, …):
 * written where a name is looked up, each must be a clean KeyframeError or plain data, never a crash or a lookup hit.
 */
const inherited = Object.getOwnPropertyNames(Object.prototype);

/** The KeyframeError `build` throws; anything else (a TypeError from a lookup that hit Object.prototype) fails the test. */
function keyframeError(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    if (error instanceof KeyframeError) return error.message;
    throw error;
  }
  throw new Error('expected a KeyframeError');
}

const schedule = (source: NumericScheduleSource) => buildSchedule(source, { frames: 4, seed: 0, name: 'schedules.zoom' });
/** An object with these own keys, `__proto__` included, as JSON.parse makes it (a literal `{__proto__: …}` would not). */
const own = <V>(...entries: Array<[string, V]>): Record<string, V> => Object.fromEntries(entries);

describe.each(inherited)('the inherited name %s', (name) => {
  it('is an unknown name or function in an expression, in schedules and in prompt backticks', () => {
    for (const literal of [false, true]) {
      expect(() => compileExpression(name, { literal })).toThrow(new RegExp(`unknown name '${name}'`));
      expect(() => compileExpression(`${name}(1)`, { literal })).toThrow(new RegExp(`unknown function '${name}'`));
      expect(() => compileExpression(`1 + ${name}`, { literal })).toThrow(KeyframeError);
      expect(() => compileExpression(`2 ${name}`, { literal })).toThrow(new RegExp(`missing operator between '2' and '${name}'`));
    }
  });

  it('is a clean error as a schedule value, a call, a key, a structured key, value or interpolation', () => {
    expect(keyframeError(() => schedule(`0:(${name})`))).toBe(`schedules.zoom: position 3: value of key 0: unknown name '${name}' (an expression can use t, max_f, s, pi and e) in "0:(${name})"`);
    expect(keyframeError(() => schedule(`0:(${name}(1))`))).toMatch(new RegExp(`^schedules.zoom: position 3: value of key 0: unknown function '${name}'`));
    expect(keyframeError(() => schedule(`0:(1), ${name}:(2)`))).toMatch(new RegExp(`^schedules.zoom: position 8: frame key '${name}': unknown name '${name}'`));
    expect(keyframeError(() => schedule(own(['0', 1], [name, 1])))).toMatch(new RegExp(`^schedules.zoom.${name}: frame key '${name}': unknown name '${name}'`));
    expect(keyframeError(() => schedule({ 0: name }))).toMatch(new RegExp(`^schedules.zoom.0: unknown name '${name}'`));
    expect(keyframeError(() => schedule({ 0: { value: name } }))).toMatch(new RegExp(`^schedules.zoom.0.value: unknown name '${name}'`));
    expect(keyframeError(() => schedule({ 0: { value: 0, interpolation: name }, 3: 1 }))).toBe(`schedules.zoom.0.value: unknown interpolation "${name}"; expected linear, step, cubic or an easing such as easeInOutSine`);
  });

  it('is a clean error as a key of a text schedule, and plain text as its value', () => {
    const context = { frames: 2, seed: 0, name: 'schedules.sampler' };
    expect(keyframeError(() => buildStringSchedule(`${name}:("euler")`, context))).toMatch(new RegExp(`frame key '${name}': unknown name '${name}'`));
    expect(buildStringSchedule(`0:("${name}")`, context).values).toEqual([name, name]);
    expect(keyframeError(() => buildStringSchedule(`0:("${name}")`, context, (value, fail) => fail(`unknown sampler '${value}'`)))).toMatch(new RegExp(`unknown sampler '${name}'`));
  });

  it('as a prompt key is not a frame number, and in backticks is an unknown name; both name the key', () => {
    const prompts = (p: Record<string, string>) => buildPromptSchedule({ prompts: p, positivePrompt: '', negativePrompt: '', promptInterpolation: false }, { frames: 3, seed: 0 });
    expect(keyframeError(() => prompts(own(['0', 'a dog'], [name, 'a cat'])))).toMatch(new RegExp(`^prompts.${name}: frame key '${name}': unknown name '${name}'`));
    expect(keyframeError(() => prompts({ 0: `a \`${name}\` cat` }))).toMatch(new RegExp(`^prompts.0: backtick expression \`${name}\`: unknown name '${name}'`));
    expect(keyframeError(() => prompts({ 0: `a \`${name}(t)\` cat` }))).toMatch(new RegExp(`^prompts.0: backtick expression \`${name}\\(t\\)\`: unknown function '${name}'`));
  });

  it('in a Deforum settings file is an unknown field, an unknown mode or a prompt key carried as data', () => {
    const settings = own<unknown>(
      ['prompts', own(['0', 'a dog'], [name, 'a cat'])],
      [name, 'x'],
      ...(['color_coherence', 'sampler', 'border', 'noise_type'] as const).map((field): [string, string] => [field, name]),
    );
    const { animation, notCarried, notes } = importDeforumSettings(settings);
    expect(Object.entries(animation.prompts ?? {})).toEqual([['0', 'a dog'], [name, 'a cat']]);
    expect(animation).not.toHaveProperty('colorCoherence');
    expect(notCarried).toEqual(expect.arrayContaining([
      `${name} "x"`,
      `color_coherence "${name}" (not available; using LAB)`,
      `sampler "${name}" (not available; using euler_a)`,
      `noise_type "${name}"`,
    ]));
    expect(notes).toEqual([`border "${name}" → replicate (Deforum replicates for anything but "wrap")`]);
    expect(Object.getPrototypeOf(animation)).toBe(Object.prototype);
  });
});
