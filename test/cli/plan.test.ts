import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameJobSchema } from '../../src/plan/frame-job.js';
import { cliPath, runCli } from '../helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deforum-plan-'));
const write = (name: string, content: unknown) => {
  const file = path.join(tmp, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
};

describe('deforum plan', () => {
  it('--json prints one FrameJob per frame', () => {
    const r = runCli(['plan', 'schedules/classic-zoom.json', '--json']);
    expect(r.code).toBe(0);
    const jobs = JSON.parse(r.stdout) as unknown[];
    expect(jobs).toHaveLength(48);
    const first = FrameJobSchema.parse(jobs[0]);
    expect(first).toMatchObject({ frame: 0, source: 'txt2img', diffusion: { strength: 0, seed: 42, sampler: 'euler_a', prompt: { positive: 'a green circle on a white background', negative: 'purple' } } });
    expect(FrameJobSchema.parse(jobs[16]).diffusion.prompt).toEqual({ positive: 'a small green circle and a red square on a white background', negative: 'black  purple' });
  });

  it('a schedule with keys past the end is one warning, once: validation\'s, located, not the plan\'s again', () => {
    const file = write('late-keys.json', { frames: 4, seed: 1, prompts: { 0: 'a cat' }, schedules: { zoom: '0:(1), 10:(1.1), 20:(1), 30:(1), 40:(1)' } });
    const r = runCli(['plan', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`deforum: warning: ${file}:8:13: schedules.zoom: 4 keys are outside 0-3; ignored: '10' is frame 10, '20' is frame 20, '30' is frame 30, …\n`);
  });

  it('--frames A-B selects an inclusive range', () => {
    const jobs = JSON.parse(runCli(['plan', 'schedules/demo.json', '--json', '--frames', '10-12']).stdout) as Array<{ frame: number }>;
    expect(jobs.map((j) => j.frame)).toEqual([10, 11, 12]);
  });

  it('prints a readable table with a header line', () => {
    const r = runCli(['plan', 'schedules/demo.json', '--frames', '0-1']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('demo: 30 frames, 128x128 at 12 fps, model tiny-sd, seed 1234 (file, fixed), cadence 1');
    expect(lines[1]).toMatch(/^frame\s+diff\s+seed\s+steps\s+sampler\s+cfg\s+strength\s+zoom\s+angle\s+tx\s+ty\s+noise\s+contrast\s+prompt$/);
    expect(lines[2]).toMatch(/^\s+0\s+txt2img\s+1234\s+16\s+euler_a\s+7\s+0\s+1\s+0\s+0\s+0\s+0\.02\s+1\s+a red circle on a blue background$/);
    expect(lines).toHaveLength(4);
  });

  it('a file with seed -1 gets a random seed, said on stderr; --seed makes it reproducible', () => {
    const file = write('random.json', { frames: 3, prompts: { 0: 'a' } });
    const r = runCli(['plan', file, '--json']);
    expect(r.code).toBe(0);
    const seed = (JSON.parse(r.stdout) as Array<{ diffusion: { seed: number } }>)[0].diffusion.seed;
    expect(r.stderr).toBe(`deforum: note: ${file} has seed -1: using ${seed}, picked at random (pass --seed ${seed} to repeat)\n`);
    const again = runCli(['plan', file, '--json', '--seed', String(seed)]);
    expect(again.stdout).toBe(r.stdout);
    expect(again.stderr).toBe('');
  });

  it('a bad file: exit 2, one line naming file, line:column, field and the count of other problems', () => {
    const file = write('bad.json', '{\n  "prompts": {"0": "a"},\n  "fsp": 12,\n  "frames": 0\n}');
    // no deforum on the PATH, as after npm install in the clone
    const r = runCli(['plan', file], { env: { PATH: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: ${file}:3:3: fsp: unknown field 'fsp' (did you mean 'fps'?) (and 1 more; run 'npx deforum validate ${file}' to see all)\n`);
  });

  it('a missing file or a bad range is exit 2', () => {
    const missing = runCli(['plan', path.join(tmp, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`deforum: ${path.join(tmp, 'nope.json')}: no such file\n`);
    const range = runCli(['plan', 'schedules/demo.json', '--frames', '20-40']);
    expect(range.code).toBe(2);
    expect(range.stderr).toBe('deforum: --frames: 20-40 is outside frames 0-29\n');
  });

  it('an expression that is infinite on some frame names the schedule and frame', () => {
    const file = write('inf.json', { seed: 1, frames: 5, prompts: { 0: 'a' }, schedules: { angle: '0:(1/(t-3))' } });
    const r = runCli(['plan', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^deforum: .*inf\.json:\d+:\d+: schedules\.angle: frame 3: '\(1\/\(t-3\)\)' is Infinity, not a finite number\n$/);
  });

  describe('a million frames: streamed, in bounded memory (the table once overflowed the stack, --json ran out of heap)', () => {
    const file = write('million.json', { frames: 1_000_000, width: 64, height: 64, seed: 1, prompts: { 0: 'a fox' } });
    // The plan itself holds every FrameJob (about 600 MiB); the output must add little to it.
    const plan = (...flags: string[]) =>
      spawnSync('bash', ['-c', `set -o pipefail; "$0" --max-old-space-size=1024 "$1" plan "$2" ${flags.join(' ')} | awk 'NR <= 2 { print } { before = last; last = $0 } END { print before; print last; print NR }'`, process.execPath, cliPath, file], {
        encoding: 'utf8',
        timeout: 150_000,
      });

    it('--json: one FrameJob per line inside the array', () => {
      const r = plan('--json');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const [open, first, last, close, lines] = r.stdout.trimEnd().split('\n');
      expect([open, close, lines]).toEqual(['[', ']', '1000002']);
      expect(FrameJobSchema.parse(JSON.parse(first.replace(/,$/, ''))).frame).toBe(0);
      expect(FrameJobSchema.parse(JSON.parse(last)).frame).toBe(999_999);
    }, 180_000);

    it('the table', () => {
      const r = plan();
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const [, header, , last, lines] = r.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^ frame  diff/);
      expect(last).toMatch(/^999999  /);
      expect(lines).toBe('1000002');
    }, 180_000);
  });
});
