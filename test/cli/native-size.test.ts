import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers.js';

const model = path.join(repoRoot, 'test', 'fixtures', 'models', 'sd-diffusers');

describe('a render at twice the model\'s native size or more', () => {
  it('warns once, not once per frame', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-native-size-'));
    const file = path.join(dir, 'large.json');
    writeFileSync(file, JSON.stringify({ frames: 3, width: 128, height: 128, seed: 1, steps: 1, diffusionCadence: 1, prompts: { 0: 'a red circle' } }));
    const r = runCli(['render', file, '--model', model, '--device', 'cpu', '--out', path.join(dir, 'out')]);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((line) => line.startsWith('warning:'))).toEqual([
      "warning: 128×128 is twice or more sd-diffusers's native 64×64: it tends to repeat its subject as copies or blobs there; 64×64 or a model made for this size looks as intended",
    ]);
  }, 120_000);
});
