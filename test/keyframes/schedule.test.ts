import { describe, expect, it } from 'vitest';
import { buildSchedule } from '../../src/keyframes/schedule.js';
import { buildStringSchedule } from '../../src/keyframes/string-schedule.js';
import type { NumericScheduleSource } from '../../src/keyframes/schema.js';

const values = (source: NumericScheduleSource, frames: number, seed = 0, warnings: string[] = []) =>
  Array.from(buildSchedule(source, { frames, seed, name: 'schedules.zoom', onWarning: (m) => warnings.push(m) }).values);
const error = (source: NumericScheduleSource, frames = 10) => {
  try {
    values(source, frames);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('Deforum schedule strings: executed examples (docs/deforum.md §a)', () => {
  it('linear in-betweens are bit-identical with numpy.interp', () => {
    expect(values('0:(-.5), 5:(+1)', 6)[2]).toBe(0.09999999999999998);
    expect(values('0:(-.5), 5:(+1)', 6)).toEqual([-0.5, -0.2, 0.09999999999999998, 0.3999999999999999, 0.7, 1]);
  });

  it('a numeric key ramps toward an expression key, which then holds and is re-evaluated every frame', () => {
    // numpy gives 3.4000000000000004 at frame 3 (0.8*3 + 1), not the rounded 3.4 the reference prints.
    expect(values('0:(1), 5:(t)', 8)).toEqual([1, 1.8, 2.6, 0.8 * 3 + 1, 4.2, 5, 6, 7]);
  });

  it('a key at max_frames is out of range: no partial ramp, with a warning', () => {
    const warnings: string[] = [];
    expect(values('0:(0), 100:(100)', 10, 0, warnings)).toEqual(new Array(10).fill(0));
    expect(warnings).toEqual(["schedules.zoom: key '100' is frame 100, outside 0-9; ignored"]);
  });

  it('a NaN from an expression is filled: 0:(sin(t)/t) takes frame 1 at frame 0', () => {
    const v = values('0:(sin(t)/t)', 4);
    expect(v[0]).toBe(Math.sin(1));
    expect(v.slice(1)).toEqual([Math.sin(1), Math.sin(2) / 2, Math.sin(3) / 3]);
  });

  it('the last key is held to the end and the last duplicate wins; key order does not matter', () => {
    expect(values('0:(1), 2:(2), 2:(5)', 5)).toEqual([1, 3, 5, 5, 5]);
    expect(values('4:(4), 0:(0)', 6)).toEqual([0, 1, 2, 3, 4, 4]);
  });

  it('parentheses are optional and whitespace between keys (newlines too) is harmless', () => {
    expect(values('0: 1, 5: 0.5', 6)).toEqual(values('0:(1),5:(0.5)', 6));
    expect(values('0:(0),\n  3:(3)', 4)).toEqual([0, 1, 2, 3]);
  });

  it('keys may be expressions in max_f and s, truncated toward zero; quoted keys are unquoted', () => {
    expect(values('0:(0), "max_f-1":(8)', 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 8]);
    expect(values('0:(0), (max_f/2):(9)', 10)[4]).toBe(9);
    expect(values('0:(0), s:(1)', 5, 2)).toEqual([0, 0.5, 1, 1, 1]);
  });

  it('variables t, max_f and s are in scope of values', () => {
    expect(values('0:(t + max_f + s)', 3, 100)).toEqual([102, 103, 104]);
  });

  it('±Infinity is an error naming the schedule and frame', () => {
    expect(error('0:(1/(t-2))')).toBe("schedules.zoom: frame 2: '(1/(t-2))' is Infinity, not a finite number");
  });

  it('integer schedules are interpolated, then truncated toward zero', () => {
    const steps = buildSchedule('0:(10), 4:(12)', { frames: 5, seed: 0, name: 'steps' }, { integer: true });
    expect(Array.from(steps.values)).toEqual([10, 10, 11, 11, 12]);
    expect(Array.from(buildSchedule('0:(-1.5), 1:(1.5)', { frames: 2, seed: 0, name: 's' }, { integer: true }).values)).toEqual([-1, 1]);
  });
});

describe('quirk table: obviously intended value instead of a parse accident', () => {
  it('no key at frame 0 holds the first key back to frame 0', () => {
    expect(values('5:(1), 10:(0.5)', 12)).toEqual([1, 1, 1, 1, 1, 1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.5]);
  });

  it('whitespace inside parentheses is a number that ramps (Deforum: a step)', () => {
    expect(values('0:( 1.0 ), 5:( 0.5 )', 6)).toEqual([1, 0.9, 0.8, 0.7, 0.6, 0.5]);
  });

  it('1e-3 and 5. are numbers that ramp', () => {
    expect(values('0:(1e-3), 2:(5.)', 3)).toEqual([0.001, (5 - 0.001) / 2 * 1 + 0.001, 5]);
  });

  it('commas inside function calls split only at bracket depth 0: min, max, where, arctan2, fmod', () => {
    expect(values('0:(min(t,2)), 4:(max(t, 5))', 6)).toEqual([0, 1, 2, 2, 5, 5]);
    expect(values('0:(where(t>1, 10, 20))', 3)).toEqual([20, 20, 10]);
    expect(values('0:(arctan2(1, t))', 2)).toEqual([Math.atan2(1, 0), Math.atan2(1, 1)]);
    expect(values('0:(fmod(t-5, 3))', 1)).toEqual([-2]);
  });

  it('pi and e work', () => {
    expect(values('0:(pi), 1:(e)', 2)).toEqual([Math.PI, Math.E]);
  });

  it('quoted numbers are unquoted', () => {
    expect(values('0:("1"), 2:(\'3\')', 3)).toEqual([1, 2, 3]);
  });

  it('a missing comma is an error naming the position', () => {
    expect(error('0:(1)5:(2)')).toBe(`schedules.zoom: position 6: expected ',' between keyframes, found '5' in "0:(1)5:(2)"`);
    expect(error('0:(1) 5:(2)')).toMatch(/^schedules\.zoom: position 7: expected ','/);
    expect(error('0:1 5:2')).toMatch(/^schedules\.zoom: position 5: expected ',' between keyframes, found '5'/);
  });

  it('a colon inside a value is an error', () => {
    expect(error('0:(1:2)')).toMatch(/^schedules\.zoom: position 5: ':' is not allowed inside a value/);
  });

  it('a lone sign, a quoted expression, an empty string and 0:() are errors naming the field and position', () => {
    expect(error('0:(-)')).toMatch(/^schedules\.zoom: position \d+: value of key 0: a value is expected in "0:\(-\)"$/);
    expect(error('0:("sin(t)")')).toMatch(/^schedules\.zoom: position \d+: value of key 0: strings are not allowed/);
    expect(error('')).toBe('schedules.zoom: position 1: empty schedule: expected keyframes like 0:(1) in ""');
    expect(error('0:()')).toMatch(/^schedules\.zoom: position 4: value of key 0: a value is expected/);
  });

  it('other malformed strings say what was expected where', () => {
    expect(error('abc')).toMatch(/^schedules\.zoom: position 1: expected ':' after the frame key 'abc'/);
    expect(error('0:(1), :(2)')).toMatch(/position 8: expected a frame number before ':'/);
    expect(error('0:(1')).toMatch(/position 3: unclosed '\('/);
    expect(error('5.5:(1)')).toMatch(/frame key '5.5' is not a whole number/);
    expect(error('0:(1), t:(2)')).toMatch(/frame key 't' cannot use t/);
    expect(error('0:(foo)')).toMatch(/position 3: value of key 0: unknown name 'foo'/);
    expect(error('0:(2t)')).toMatch(/missing operator between '2' and 't'/);
    expect(error('100:(1)')).toBe('schedules.zoom: no keyframe inside frames 0-9');
  });
});

describe('structured keyframes', () => {
  it('a number is a constant; numbers and expression strings mix like Deforum keys', () => {
    expect(values(1.5, 3)).toEqual([1.5, 1.5, 1.5]);
    expect(values({ 0: 1, 5: 't' }, 7)).toEqual(values('0:(1), 5:(t)', 7));
  });

  it('linear is the default and matches the string form bit for bit', () => {
    expect(values({ 0: -0.5, 5: { value: 1 } }, 6)).toEqual(values('0:(-.5), 5:(+1)', 6));
  });

  it('step holds the value until the next key', () => {
    expect(values({ 0: { value: 1, interpolation: 'step' }, 3: 4 }, 5)).toEqual([1, 1, 1, 4, 4]);
  });

  it('an easing on the key a segment arrives at shapes that segment', () => {
    const v = values({ 0: 0, 4: { value: 1, interpolation: 'easeInOutSine' } }, 5);
    expect(v.map((x) => Number(x.toFixed(12)))).toEqual([0, Number((0.5 - Math.cos(Math.PI / 4) / 2).toFixed(12)), 0.5, Number((0.5 + Math.cos(Math.PI / 4) / 2).toFixed(12)), 1]);
  });

  it('an interpolation on the key a segment leaves applies when the arriving key has none (Parseq style)', () => {
    const v = values({ 0: { value: 0, interpolation: 'easeInQuad' }, 4: 1 }, 5);
    expect(v).toEqual([0, 1 / 16, 1 / 4, 9 / 16, 1]);
  });

  it('cubic passes through every key and is smooth, unlike linear', () => {
    const cubic = values({ 0: 0, 10: { value: 10, interpolation: 'cubic' }, 20: { value: 0, interpolation: 'cubic' } }, 21);
    expect(cubic[0]).toBe(0);
    expect(cubic[10]).toBe(10);
    expect(cubic[20]).toBe(0);
    expect(cubic[5]).not.toBeCloseTo(5, 3);
    // Between two keys with no neighbours, cubic equals linear.
    expect(values({ 0: 0, 4: { value: 8, interpolation: 'cubic' } }, 5).map((x) => Number(x.toFixed(12)))).toEqual([0, 2, 4, 6, 8]);
  });

  it('every easings.net easing starts at the first value and ends at the second', () => {
    for (const kind of ['easeInSine', 'easeOutCubic', 'easeInOutQuart', 'easeInQuint', 'easeOutExpo', 'easeInOutCirc', 'easeInBack', 'easeOutElastic', 'easeInOutBounce']) {
      const v = values({ 0: 2, 10: { value: 4, interpolation: kind } }, 11);
      expect(v[0]).toBe(2);
      expect(v[10]).toBe(4);
      expect(v[5]).toBeGreaterThan(1);
    }
  });

  it('errors in structured keyframes name the key', () => {
    expect(error({ 0: 1, 5: { value: 'foo' } })).toBe("schedules.zoom.5.value: unknown name 'foo' (an expression can use t, max_f, s, pi and e)");
    expect(error({ '1.5': 1 })).toBe("schedules.zoom.1.5: frame key '1.5' is not a whole number");
  });
});

describe('buildSchedule context', () => {
  it('s defaults to -1 as in Deforum without a seed, and errors name "schedule"', () => {
    expect(Array.from(buildSchedule('0:(s)', { frames: 2 }).values)).toEqual([-1, -1]);
    expect(() => buildSchedule('0:(1)5:(2)', { frames: 2 })).toThrow(/^schedule: position 6/);
  });
});

describe('bounded input (issue 13)', () => {
  it('a schedule string with 100,000 keyframes builds, like structured keyframes', () => {
    const frames = 100_000;
    const text = Array.from({ length: frames }, (_, i) => `${i}:(${i % 7})`).join(', ');
    const expected = Array.from({ length: frames }, (_, i) => i % 7);
    expect(values(text, frames)).toEqual(expected);
    expect(values(Object.fromEntries(expected.map((v, i) => [String(i), v])), frames)).toEqual(expected);
  });

  it('keys outside the animation, however many, are one warning', () => {
    const warnings: string[] = [];
    values(Array.from({ length: 100_000 }, (_, i) => `${i}:(${i})`).join(', '), 5, 0, warnings);
    expect(warnings).toEqual(["schedules.zoom: 99995 keys are outside 0-4; ignored: '5' is frame 5, '6' is frame 6, '7' is frame 7, …"]);
  });

  it('a value past the expression limits is one short line naming the schedule, the position, the key and the limit', () => {
    const message = error(`0:(0), 5:(${Array(10_000).fill('1').join('+')})`);
    expect(message).toMatch(/^schedules\.zoom: position 1010: value of key 5: expression is 20001 characters long; at most 1000 are allowed in …"(\+1)+"…$/);
    expect(message.length).toBeLessThan(200);
    expect(error(`0:(${'('.repeat(100_000)}t${')'.repeat(100_000)})`)).toMatch(/^schedules\.zoom: position 1003: value of key 0: expression is 200003 characters long; at most 1000 are allowed/);
    expect(error(`0:(0), 1:(min(${Array(200_000).fill('1').join(',')}))`)).toMatch(/value of key 1: expression is 400006 characters long; at most 1000 are allowed/);
  });

  it.each([
    ['0:(1e400)', "schedules.zoom: position 3: value of key 0: a number beyond the double range (about ±1.8e308); expected a finite number in \"0:(1e400)\""],
    ['0:(0), 5:(-1e400)', "schedules.zoom: position 10: value of key 5: a number beyond the double range (about ±1.8e308); expected a finite number in \"0:(0), 5:(-1e400)\""],
    ['0:(t*1e400)', "schedules.zoom: position 3: value of key 0: a number beyond the double range (about ±1.8e308); expected a finite number in \"0:(t*1e400)\""],
  ])('%s is refused: a finite number is expected', (source, message) => {
    expect(error(source)).toBe(message);
  });

  it('structured keyframes: a number past the double range (JSON 1e400 parses to Infinity) names the key', () => {
    expect(error(JSON.parse('{"0": 1, "3": 1e400}'))).toBe('schedules.zoom.3: a number beyond the double range (about ±1.8e308); expected a finite number');
    expect(error(JSON.parse('{"0": {"value": -1e400}}'))).toBe('schedules.zoom.0.value: a number beyond the double range (about ±1.8e308); expected a finite number');
    expect(error(JSON.parse('1e400'))).toBe('schedules.zoom.0: a number beyond the double range (about ±1.8e308); expected a finite number');
  });

  it('a value that overflows at some frame names the frame, between keys too', () => {
    expect(error('0:(10**(t*100))')).toBe("schedules.zoom: frame 4: '(10**(t*100))' is Infinity, not a finite number");
    expect(error('0:(1.7e308), 9:(-1.7e308)')).toBe('schedules.zoom: frame 1: the in-between value is -Infinity, not a finite number');
    expect(error({ 0: { value: -1.7e308, interpolation: 'easeInOutBack' }, 9: 1.7e308 })).toMatch(/^schedules\.zoom: frame \d: the in-between value is -?Infinity, not a finite number$/);
  });

  it('a text schedule value that is not text (an array nested 100,000 deep) is a clean error', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as string;
    expect(() => buildStringSchedule({ 0: deep }, { frames: 2, name: 'schedules.sampler' })).toThrow(/^schedules\.sampler\.0(\.value)?: expected text, e\.g\. "euler_a"$/);
  });

  it('a null or unknown interpolation in structured keyframes is a clean error', () => {
    expect(error({ 0: null } as unknown as NumericScheduleSource)).toBe('schedules.zoom.0: expected a number or an expression string');
    expect(error({ 0: { value: 1, interpolation: 'wobble' }, 5: 2 })).toBe('schedules.zoom.0.value: unknown interpolation "wobble"; expected linear, step, cubic or an easing such as easeInOutSine');
  });
});
