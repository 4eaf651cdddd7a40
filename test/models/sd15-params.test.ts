/**
 * The bundled model's code with `--config sd15` builds exactly SD 1.5's UNet, VAE and text encoder (parameter counts
 * of runwayml/stable-diffusion-v1-5), checked in PyTorch by tools/tiny-sd/test_sd15_params.py. Skipped, with the
 * reason printed, where no Python with PyTorch is installed (CI has none; Debian's python3-torch provides one).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';

function pythonWithTorch(): string | undefined {
  for (const candidate of [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[]) {
    const probe = spawnSync(candidate, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

const python = pythonWithTorch();
if (!python) console.warn('sd15 parameter counts skipped: no Python with PyTorch (set PYTHON, or apt-get install python3-torch)');

describe('sd15 configuration of tools/tiny-sd', () => {
  it.skipIf(!python)('has SD 1.5 parameter counts: UNet 859,520,964, VAE 83,653,863, text encoder 123,060,480', () => {
    const run = spawnSync(python!, [path.join(repoRoot, 'tools', 'tiny-sd', 'test_sd15_params.py'), '-v'], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    expect(run.stderr).toMatch(/Ran 3 tests/);
    expect(run.stderr).toMatch(/\nOK\s*$/);
    expect(run.status).toBe(0);
  }, 320_000);
});
