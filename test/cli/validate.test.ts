import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deforum-validate-'));

describe('deforum validate', () => {
  it('accepts a good file with exit 0', () => {
    const r = runCli(['validate', 'schedules/eased.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('schedules/eased.json: ok (48 frames, 128x128, 3 prompts)\n');
  });

  it('lists every problem with line:column, path, expectation and did-you-mean; exit 2 with one stderr line', () => {
    const file = path.join(tmp, 'bad.json');
    writeFileSync(file, ['{', '  "prompts": {"0": "a", "max_f/0": "b"},', '  "fsp": 12,', '  "schedules": {', '    "zoom": "0:(1)5:(2)",', '    "strenght": "0:(0.5)"', '  },', '  "seedBehavior": "iterate"', '}'].join('\n'));
    const r = runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${file}:3:3: fsp: unknown field 'fsp' \\(did you mean 'fps'\\?\\)`)),
      expect.stringMatching(new RegExp(`^${file}:6:5: schedules\\.strenght: unknown field 'strenght' \\(did you mean 'strength'\\?\\)`)),
      `${file}:8:19: seedBehavior: expected one of "iter", "fixed", "random", "ladder", "alternate", "schedule", got "iterate" (did you mean "iter"?)`,
    ]);
    expect(r.stderr).toBe(`deforum: ${file}: 3 problems (listed above)\n`);
  });

  it('reports schedule and prompt problems once the shape is right', () => {
    const file = path.join(tmp, 'semantic.json');
    writeFileSync(file, ['{', '  "prompts": {"0": "a", "max_f/0": "b"},', '  "schedules": {', '    "zoom": "0:(1)5:(2)"', '  }', '}'].join('\n'));
    const r = runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `${file}:2:25: prompts["max_f/0"]: frame key 'max_f/0' is Infinity, not a frame number`,
      `${file}:4:19: schedules.zoom: position 6: expected ',' between keyframes, found '5'`,
    ]);
  });

  it('accepts a file saved with a byte-order mark', () => {
    const file = path.join(tmp, 'bom.json');
    writeFileSync(file, '\uFEFF{"prompts": {"0": "a"}, "frames": 2}');
    const r = runCli(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${file}: ok (2 frames, 512x512, 1 prompt)\n`);
  });

  it('invalid JSON is located', () => {
    const file = path.join(tmp, 'broken.json');
    writeFileSync(file, '{\n  "frames": 10\n  "fps": 12\n}');
    const r = runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(`${file}:3:3: JSON: invalid JSON: comma expected\n`);
  });

  it('bounds what costs time or memory: exit 2 and one line, at validate and at render, instead of a hang or a V8 abort', { timeout: 60_000 }, () => {
    const kernel = path.join(tmp, 'kernel.json');
    writeFileSync(kernel, '{"prompts": {"0": "a"}, "frames": 3, "schedules": {"antiBlurKernel": "0:(1000000001)"}}');
    const steps = path.join(tmp, 'steps.json');
    writeFileSync(steps, '{"prompts": {"0": "a"}, "frames": 3, "schedules": {"steps": "0:(1000000)"}}');
    for (const command of ['validate', 'render']) {
      const k = runCli([command, kernel], { timeout: 20_000 });
      expect(k.code).toBe(2);
      expect(k.stderr).toMatch(new RegExp(`^deforum: .*${kernel}:1:70: schedules\\.antiBlurKernel: frame 0 is 1000000001, expected at most 99\\n$`));
      const s = runCli([command, steps], { timeout: 20_000 });
      expect(s.code).toBe(2);
      expect(s.stderr).toMatch(new RegExp(`^deforum: .*${steps}:1:61: schedules\\.steps: frame 0 is 1000000, expected at most 1000\\n$`));
    }
  });

  it('JSON nested 100,000 deep is refused at its line:column, not a stack overflow', () => {
    const file = path.join(tmp, 'deep.json');
    writeFileSync(file, `{"prompts": {"0": "a"}, "x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const r = runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: ${file}: 1 problem: ${file}:1:129: JSON: invalid JSON: nested more than 100 levels deep\n`);
  });

  it('prints warnings and still says ok', () => {
    const file = path.join(tmp, 'warned.json');
    writeFileSync(file, '{"frames": 10, "prompts": {"0": "a", "12": "b"}, "schedules": {"strength": "0:(0.6), 5:(1.2)"}}');
    const r = runCli(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      `${file}:1:76: schedules.strength: frames 4–9 are above 1 (Deforum clamps strength to 0–1) (warning)`,
      `${file}:1:38: prompts["12"]: key '12' is frame 12, past the last frame 9; its prompt is never used (warning)`,
      `${file}: ok (10 frames, 512x512, 2 prompts)`,
      '',
    ].join('\n'));
  });

  it('a name that would put the render folder outside renders/ is refused before anything is written', () => {
    const file = path.join(tmp, 'escape.json');
    const target = path.join(tmp, 'escaped');
    writeFileSync(file, JSON.stringify({ name: `../../../../../../../..${target}`, prompts: { 0: 'a' }, frames: 1, width: 64, height: 64, steps: 1 }));
    const r = runCli(['render', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: ${file}:1:9: name: expected a folder name: no "/", "\\" or control characters, not "." or ".."\n`);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.mp4`)).toBe(false);
  });
});
