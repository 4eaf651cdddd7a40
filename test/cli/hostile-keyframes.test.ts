import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { numericScheduleNames } from '../../src/keyframes/schema.js';
import { cliPath, repoRoot, runCli } from '../helpers.js';

/**
 * Names every plain object inherits, and input deep or long enough to overflow a recursive parser, through the
 * commands a user runs: one line on stderr, exit 2, in bounded time (each spawn's timeout is far below a hang).
 */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'deforum-hostile-'));
const inherited = Object.getOwnPropertyNames(Object.prototype);
const timeout = 30_000;

function file(name: string, content: unknown): string {
  const target = path.join(tmp, name);
  writeFileSync(target, typeof content === 'string' ? content : JSON.stringify(content));
  return target;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI once per name, all at once: dozens of runs one after another would take a minute. */
function runEach(args: (name: string) => string[]): Promise<Run[]> {
  return Promise.all(inherited.map((name) => new Promise<Run>((resolve) => {
    execFile(process.execPath, [cliPath, ...args(name)], { cwd: repoRoot, timeout, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  })));
}

/** A run that failed on bad input: exit 2 and one `deforum:` line on stderr, never an internal error. */
function expectBadInput(r: Run): void {
  expect(r.stderr).not.toMatch(/internal error|Maximum call stack/);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^deforum: [^\n]*\n$/);
}

/** Each name in its own schedule, so that `validate` reports all of them at once. */
const perSchedule = (value: (name: string) => unknown) => Object.fromEntries(inherited.map((name, i) => [numericScheduleNames[i], value(name)]));

describe('names inherited from Object.prototype', () => {
  it('deforum schedule "0:(NAME)" is an unknown name', async () => {
    const runs = await runEach((name) => ['schedule', `0:(${name})`, '--frames', '3']);
    runs.forEach((r, i) => {
      expectBadInput(r);
      expect(r.stderr).toBe(`deforum: schedule: position 3: value of key 0: unknown name '${inherited[i]}' (an expression can use t, max_f, s, pi and e) in "0:(${inherited[i]})"\n`);
    });
  }, timeout);

  it.each([
    ['values', (name: string) => `0:(${name})`, (name: string) => `position 3: value of key 0: unknown name '${name}'`],
    ['calls', (name: string) => `0:(1 + ${name}(t))`, (name: string) => `position 3: value of key 0: unknown function '${name}'`],
    ['keys', (name: string) => `0:(1), ${name}:(2)`, (name: string) => `position 8: frame key '${name}': unknown name '${name}'`],
    ['structured values', (name: string) => ({ 0: { value: name } }), (name: string) => `unknown name '${name}'`],
  ])('deforum validate reports every name in schedule %s', (kind, value, message) => {
    const r = runCli(['validate', file(`${kind}.json`, { frames: 3, prompts: { 0: 'a cat' }, schedules: perSchedule(value) })], { timeout });
    expectBadInput(r);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(inherited.length);
    inherited.forEach((name, i) => expect(lines).toContainEqual(expect.stringMatching(new RegExp(`: schedules\\.${numericScheduleNames[i]}\\S*: ${message(name).replace(/[()+]/g, '\\$&')}`))));
  });

  it('deforum validate: a prompt key NAME is not a frame number', async () => {
    const runs = await runEach((name) => ['validate', file(`prompt-${name}.json`, `{"frames": 3, "prompts": {"0": "a cat", ${JSON.stringify(name)}: "a dog"}}`)]);
    runs.forEach((r, i) => {
      const name = inherited[i];
      expectBadInput(r);
      // zod's z.record would drop an own "__proto__" key, so validate refuses it before the prompts are read.
      const message = name === '__proto__' ? "'__proto__' cannot be a key" : `frame key '${name}': unknown name '${name}'`;
      expect(r.stdout).toMatch(new RegExp(`^\\S+:1:\\d+: prompts\\.${name}: ${message}`));
    });
  }, timeout);

  it('deforum validate: a prompt backtick `NAME` is an unknown name', async () => {
    const runs = await runEach((name) => ['validate', file(`backtick-${name}.json`, { frames: 3, prompts: { 0: `a \`${name}\` cat` } })]);
    runs.forEach((r, i) => {
      expectBadInput(r);
      expect(r.stdout).toMatch(new RegExp(`^\\S+:1:\\d+: prompts\\["0"\\]: backtick expression \`${inherited[i]}\`: unknown name '${inherited[i]}'`));
    });
  }, timeout);

  it('deforum import lists them as fields it does not carry, and refuses them as prompt keys', () => {
    const settings = Object.fromEntries([['prompts', { 0: 'a cat' }], ['max_frames', 3], ['color_coherence', 'constructor'], ...inherited.map((name) => [name, 'x'])]);
    const ok = runCli(['import', file('names_settings.txt', settings)], { timeout });
    expect(ok.code).toBe(0);
    expect(ok.stderr.split('\n')).toEqual(expect.arrayContaining(['  color_coherence "constructor" (not available; using LAB)', ...inherited.map((name) => `  ${name} "x"`)]));
    const keyed = runCli(['import', file('keys_settings.txt', { max_frames: 3, prompts: Object.fromEntries([['0', 'a cat'], ...inherited.map((name) => [name, 'a dog'])]) })], { timeout });
    expectBadInput(keyed);
    expect(keyed.stderr).toMatch(/^deforum: \S+keys_settings\.txt:1:\d+: prompts\.constructor: frame key 'constructor': unknown name 'constructor'/);
  });
});

describe('deep and long input', () => {
  const sum = (terms: number) => Array(terms).fill('1').join('+');

  it('deforum validate names each schedule past the limits, and warns once for 100,000 keys outside the animation', () => {
    const r = runCli(['validate', file('limits.json', {
      frames: 5,
      prompts: { 0: 'a cat' },
      schedules: {
        zoom: `0:(${sum(10_000)})`,
        angle: `0:(min(${Array(200_000).fill('1').join(',')}))`,
        translationX: Array.from({ length: 100_000 }, (_, i) => `${i}:(${i % 3})`).join(', '),
        translationY: `0:(${'('.repeat(100_000)}t${')'.repeat(100_000)})`,
        noise: '0:(1e400)',
        contrast: { 0: 0, 3: '-1e400' },
      },
    })], { timeout });
    expectBadInput(r);
    const lines = r.stdout.trimEnd().split('\n').map((line) => line.replace(/^\S+:\d+:\d+: /, ''));
    expect(lines.sort()).toEqual([
      'schedules.zoom: position 1003: value of key 0: expression is 20001 characters long; at most 1000 are allowed',
      'schedules.angle: position 1003: value of key 0: expression is 400006 characters long; at most 1000 are allowed',
      "schedules.translationX: 99995 keys are outside 0-4; ignored: '5' is frame 5, '6' is frame 6, '7' is frame 7, … (warning)",
      'schedules.translationY: position 1003: value of key 0: expression is 200003 characters long; at most 1000 are allowed',
      'schedules.noise: position 3: value of key 0: a number beyond the double range (about ±1.8e308); expected a finite number',
      'schedules.contrast["3"]: a number beyond the double range (about ±1.8e308); expected a finite number',
    ].sort());
  });

  it('deforum schedule refuses 1e400 and a 10,000-term sum with one line', () => {
    const huge = runCli(['schedule', '0:(0), 5:(-1e400)', '--frames', '6'], { timeout });
    expectBadInput(huge);
    expect(huge.stderr).toBe('deforum: schedule: position 10: value of key 5: a number beyond the double range (about ±1.8e308); expected a finite number in "0:(0), 5:(-1e400)"\n');
    const long = runCli(['schedule', `0:(${sum(10_000)})`, '--frames', '2'], { timeout });
    expectBadInput(long);
    expect(long.stderr).toMatch(/^deforum: schedule: position 1003: value of key 0: expression is 20001 characters long; at most 1000 are allowed in …"(\+1)+"…\n$/);
  });

  it('deforum import: a settings value nested 100,000 deep is listed; as a prompt it is refused', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const listed = runCli(['import', file('deep_settings.txt', `{"prompts": {"0": "a cat"}, "max_frames": 3, "extra": ${deep}, "fps": ${deep}}`)], { timeout });
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('deforum: import: 2 Deforum settings not carried over:\n  extra [1 item]\n  fps [1 item] (not a number)\n');
    const settings = file('deep_prompt_settings.txt', `{"prompts": {"0": ${deep}}, "max_frames": 3}`);
    const prompt = runCli(['import', settings], { timeout });
    expectBadInput(prompt);
    expect(prompt.stderr).toBe(`deforum: ${settings}: prompts["0"]: expected a prompt string, got [1 item]\n`);
  });
});
