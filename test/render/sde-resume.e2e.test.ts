import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { animationFile, frameBytes, runCliAsync, tempDir } from './render-fixture.js';

const render = (file: string, outDir: string, env: NodeJS.ProcessEnv = {}) =>
  runCliAsync(['render', file, '--out', outDir, '--device', 'cpu', '--json'], { env });

describe('an SDE sampler renders the same frames on a second run and after a crash and resume', () => {
  it('DPM++ SDE Karras: its Brownian noise depends only on the frame seed and the steps', async () => {
    const dir = tempDir();
    const file = animationFile(dir, { sampler: 'DPM++ SDE Karras', frames: 4, steps: 6, diffusionCadence: 1 });
    const first = await render(file, path.join(dir, 'a'));
    expect(first.code, first.stderr).toBe(0);
    const reference = frameBytes(path.join(dir, 'a'));
    expect(reference.size).toBe(4);
    const second = await render(file, path.join(dir, 'b'));
    expect(second.code, second.stderr).toBe(0);
    expect(frameBytes(path.join(dir, 'b'))).toEqual(reference);
    // killed at its third journal append (after frame 1), then resumed
    const crashed = await render(file, path.join(dir, 'c'), { DEFORUM_CRASH_AT: 'append:3' });
    expect(crashed.code).not.toBe(0);
    expect(frameBytes(path.join(dir, 'c')).size).toBeLessThan(4);
    const resumed = await runCliAsync(['resume', path.join(dir, 'c'), '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(frameBytes(path.join(dir, 'c'))).toEqual(reference);
  }, 240_000);
});
