import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

describe('deforum schedule', () => {
  it('prints a JSON array of per-frame values with --json', () => {
    const r = runCli(['schedule', '0:(-.5), 5:(+1)', '--frames', '7', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([-0.5, -0.2, 0.09999999999999998, 0.3999999999999999, 0.7, 1, 1]);
    expect(r.stderr).toBe('');
  });

  it('prints one line per frame, marking keyframes', () => {
    const r = runCli(['schedule', '0:(1), 5:(t)', '--frames', '7']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['0  1  (key)', '1  1.8', '2  2.6', '3  3.4000000000000004', '4  4.2', '5  5  (key)', '6  6']);
  });

  it('uses --seed as s and truncates with --integer; an expression key holds until the next key', () => {
    expect(JSON.parse(runCli(['schedule', '0:(s/4), 2:(s+3)', '--frames', '3', '--seed', '10', '--integer', '--json']).stdout)).toEqual([2, 2, 13]);
  });

  it('takes structured keyframes as JSON', () => {
    const r = runCli(['schedule', '{"0": 0, "2": {"value": 4, "interpolation": "step"}, "4": 8}', '--frames', '5', '--json']);
    // step on key 2 shapes both the gap arriving at it and, Parseq-style, the gap leaving it.
    expect(JSON.parse(r.stdout)).toEqual([0, 0, 4, 4, 8]);
  });

  it('bad input: exit 2 and one line pointing at the position in the string', () => {
    const r = runCli(['schedule', '0:(1)5:(2)', '--frames', '10']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`deforum: schedule: position 6: expected ',' between keyframes, found '5' in "0:(1)5:(2)"\n`);
  });

  it('refuses sandbox escapes with exit 2', () => {
    const r = runCli(['schedule', '0:(import(t))', '--frames', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^deforum: schedule: position 3: value of key 0: function 'import' is not allowed: only arithmetic is allowed in "0:\(import\(t\)\)"\n$/);
  });

  it('warns on stderr about keys outside the animation', () => {
    const r = runCli(['schedule', '0:(0), 100:(100)', '--frames', '3', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([0, 0, 0]);
    expect(r.stderr).toBe("deforum: warning: schedule: key '100' is frame 100, outside 0-2; ignored\n");
  });

  it('usage errors exit 2', () => {
    expect(runCli(['schedule', '0:(1)']).code).toBe(2);
    const r = runCli(['schedule', '0:(1)', '--frames', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--frames <n>.*expected a whole number from 1/);
  });

  it('structured keyframes are checked with the keyframe file\'s schema: one line, exit 2', () => {
    const cases: [string, string][] = [
      ['{"0": null}', 'schedule["0"]: expected a number, an expression string, or {"value": …, "interpolation": …}'],
      ['{"0": {"value": 1, "interpolation": "bogus"}}', 'schedule["0"].interpolation: expected one of 33 names (closest: "step", "cubic", "linear"), got "bogus"'],
      ['{"0": {"value": 1, "interpolation": "easeInSin"}}', 'schedule["0"].interpolation: expected one of 33 names, got "easeInSin" (did you mean "easeInSine"?)'],
      ['{"0": {"value": 1, "interp": "step"}}', 'schedule["0"].interp: unknown field \'interp\' (did you mean \'interpolation\'?)'],
      ['{"0": 1, "__proto__": 2}', "schedule.__proto__: '__proto__' cannot be a key (JavaScript objects reserve it)"],
      ['{"0": 1,}', 'schedule: position 9: invalid JSON: property name expected'],
      [`{"0": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`, 'schedule: position 106: invalid JSON: nested more than 100 levels deep'],
    ];
    for (const [text, message] of cases) {
      const r = runCli(['schedule', text, '--frames', '3']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`deforum: ${message}\n`);
    }
  });
});
