import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-addons-'));
const preload = path.join(repoRoot, 'test', 'fixtures', 'record-dlopen.mjs');

/** The native addons a CLI run loads, recorded by wrapping process.dlopen. */
function addonsLoadedBy(args: string[], name: string): { code: number | null; addons: string[] } {
  const log = path.join(dir, `${name}.log`);
  const r = spawnSync(process.execPath, ['--import', preload, cliPath, ...args], { cwd: repoRoot, env: { ...process.env, DLOPEN_LOG: log }, encoding: 'utf8' });
  return { code: r.status, addons: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

describe('commands that need no image or model start without the native addons', () => {
  it.each([
    ['validate', ['validate', 'schedules/demo.json']],
    ['validate with a ControlNet unit', ['validate', 'schedules/pose-demo.json']],
    ['schema', ['schema']],
    ['plan', ['plan', 'schedules/demo.json', '--frames', '0-2']],
    ['schedule', ['schedule', '0:(1), 5:(2)', '--frames', '6']],
    ['import', ['import', 'schedules/imported/deforum_20240312180455_settings.txt']],
    ['version', ['--version']],
    ['help', ['--help']],
    ['render --help', ['render', '--help']],
    ['depth --help', ['depth', '--help']],
    ['control detect --help', ['control', 'detect', '--help']],
    ['queue add --help', ['queue', 'add', '--help']],
    ['worker --help', ['worker', '--help']],
  ])('%s loads neither sharp nor onnxruntime (nor bullmq\'s msgpackr)', (name, args) => {
    const { code, addons } = addonsLoadedBy(args, name);
    expect(code).toBe(0);
    expect(addons.filter((file) => /sharp|onnxruntime|msgpackr/.test(file))).toEqual([]);
  });

  it('the recorder sees them when a command needs them (generate loads both)', () => {
    const { code, addons } = addonsLoadedBy(['generate', '--prompt', 'x', '--steps', '1', '--model', 'test/fixtures/models/sd-diffusers', '-o', path.join(dir, 'x.png')], 'generate');
    expect(code).toBe(0);
    expect(addons.some((file) => /sharp/.test(file))).toBe(true);
    expect(addons.some((file) => /onnxruntime/.test(file))).toBe(true);
  });
});
