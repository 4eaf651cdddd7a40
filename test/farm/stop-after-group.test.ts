import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAnimation } from '../../src/keyframes/load.js';
import { RenderInterrupted } from '../../src/render/render-frames.js';
import { renderAnimation } from '../../src/render/run.js';
import { animationFile, frameBytes, tempDir } from '../render/render-fixture.js';
import { journalFrames } from './farm-fixture.js';

/**
 * A farm worker's SIGTERM (`stopAfterGroup`) lets the frames being made finish and be written durably, where Ctrl-C's
 * `signal` abandons them: the worker hands back a job with no work lost.
 */
async function stopDuringDiffusionOf(frame: number, how: 'signal' | 'stopAfterGroup'): Promise<{ error: RenderInterrupted; outDir: string }> {
  const dir = tempDir('deforum-stop-after-group-');
  const source = animationFile(dir, { width: 64, height: 64, frames: 8, steps: 8, diffusionCadence: 2 });
  const { animation } = await loadAnimation(source);
  const controller = new AbortController();
  const outDir = path.join(dir, 'out');
  const error = await renderAnimation({
    animation,
    source,
    outDir,
    device: 'cpu',
    [how]: controller.signal,
    onEvent: (event) => event.type === 'step' && event.frame >= frame && controller.abort(),
  }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RenderInterrupted);
  return { error: error as RenderInterrupted, outDir };
}

describe('stopping a render after the cadence group in progress', () => {
  it('writes the group whose diffusion was under way, then stops; Ctrl-C\'s signal abandons it', async () => {
    const graceful = await stopDuringDiffusionOf(2, 'stopAfterGroup');
    const abrupt = await stopDuringDiffusionOf(2, 'signal');
    // cadence 2: the diffusion under way at frame 2 or later is that of a group of two frames, kept whole or not at all
    expect(abrupt.error.lastDurableFrame).toBeLessThan(graceful.error.lastDurableFrame);
    expect(graceful.error.lastDurableFrame).toBeGreaterThanOrEqual(2);
    expect((graceful.error.lastDurableFrame + 1) % 2).toBe(0);
    expect(journalFrames(graceful.outDir).map((entry) => entry.frame)).toEqual([...frameBytes(graceful.outDir).keys()].map((_, i) => i));
    expect(frameBytes(graceful.outDir).size).toBe(graceful.error.lastDurableFrame + 1);
  }, 120_000);
});
