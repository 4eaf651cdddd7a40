import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, repoRoot } from '../helpers.js';

/** The model e2e renders run on: the bundled tiny model, the same code path as a user's SD 1.5 folder. */
export const TEST_MODEL = path.join(repoRoot, 'models', 'tiny-sd');

/** A small animation that renders in seconds on the CPU: 128×128, few steps, cadence 2, motion in every schedule. */
export function animationFile(dir: string, overrides: Record<string, unknown> = {}, name = 'anim.json'): string {
  const animation = {
    model: TEST_MODEL,
    width: 128,
    height: 128,
    frames: 8,
    fps: 8,
    steps: 8,
    seed: 42,
    sampler: 'euler_a',
    diffusionCadence: 2,
    prompts: { '0': 'a red circle on a blue background', '4': 'a yellow square on a green background --neg purple' },
    schedules: { zoom: '0:(1.04)', angle: '0:(1.5)', translationX: '0:(1)', strength: '0:(0.6)' },
    output: { preset: 'ultrafast' },
    ...overrides,
  };
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(animation, null, 2));
  return file;
}

export const tempDir = (prefix = 'deforum-render-') => mkdtempSync(path.join(os.tmpdir(), prefix));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI without blocking the test's event loop, so a test can signal it: `onStdout`/`onStderr` see output as it
 * arrives and may kill the child.
 */
export function runCliAsync(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; killAfterMs?: number; onOutput?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onOutput?.(stdout + stderr, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onOutput?.(stdout + stderr, child);
    });
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Frame file name → bytes of a render folder. */
export function frameBytes(outDir: string): Map<string, Buffer> {
  const framesDir = path.join(outDir, 'frames');
  return new Map(readdirSync(framesDir).sort().map((name) => [name, readFileSync(path.join(framesDir, name))]));
}

/** JSON events of a `--json` run. */
export function jsonEvents(stdout: string): Array<Record<string, unknown>> {
  return stdout.split('\n').filter((line) => line.trim().startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}
