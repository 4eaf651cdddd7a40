import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFfmpeg } from '../../src/video/ffmpeg.js';
import { probeVideo } from '../../src/video/probe.js';
import { animationFile, jsonEvents, runCliAsync, tempDir } from './render-fixture.js';

/** A manifest as Parseq writes it: six frames, motion as deltas, a fractional seed, prompts with AND. */
function manifest(scaleAt: (frame: number) => number) {
  return {
    options: { output_fps: 6, cadence: 1 },
    rendered_frames: Array.from({ length: 6 }, (_, frame) => ({
      frame,
      scale: scaleAt(frame),
      strength: 0.55,
      angle: 2 * frame,
      angle_delta: frame === 0 ? 0 : 2,
      translation_x: frame,
      translation_x_delta: frame === 0 ? 0 : 1,
      seed: 7 + frame / 4,
      subseed: Math.ceil(7 + frame / 4),
      subseed_strength: (7 + frame / 4) % 1,
      deforum_prompt: `a red circle: ${1 - frame / 5} AND a blue square: ${frame / 5} --neg text`,
    })),
  };
}

const rendered = (stdout: string) => jsonEvents(stdout).filter((e) => e.type === 'frame').map((e) => e.frame);

describe('rendering a Parseq manifest', () => {
  it("renders the manifest's frames at its fps; a resume reads the manifest again; an edited frame re-renders from there", async () => {
    const d = tempDir('deforum-parseq-render-');
    const manifestFile = path.join(d, 'manifest.json');
    writeFileSync(manifestFile, JSON.stringify(manifest(() => 7)));
    // The file says 8 frames at 8 fps, cadence 2: the manifest's overrides make it 6 frames at 6 fps, cadence 1.
    const file = animationFile(d, { width: 64, height: 64, steps: 3, parseq: 'manifest.json' });
    const out = path.join(d, 'out');
    const first = await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(rendered(first.stdout)).toEqual([0, 1, 2, 3, 4, 5]);
    const settings = JSON.parse(readFileSync(path.join(out, 'settings.json'), 'utf8')) as { animation: Record<string, unknown> };
    expect(settings.animation).toMatchObject({ frames: 6, fps: 6, diffusionCadence: 1, parseq: { manifest: 'manifest.json', useDeltas: true, overrides: true } });
    expect(await probeVideo(path.join(out, 'anim.mp4'), await findFfmpeg())).toMatchObject({ frames: 6, fps: 6, width: 64, height: 64 });

    const elsewhere = await runCliAsync(['resume', out, '--json'], { cwd: os.tmpdir() });
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(rendered(elsewhere.stdout)).toEqual([]);

    writeFileSync(manifestFile, JSON.stringify(manifest((frame) => (frame >= 4 ? 9 : 7))));
    const edited = await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json']);
    expect(edited.code, edited.stderr).toBe(0);
    expect(rendered(edited.stdout)).toEqual([4, 5]);
    expect(jsonEvents(edited.stdout).find((e) => e.type === 'start')?.message).toBe('keeping frames 0-3; frame 4 changed: re-rendering frames 4-5');
  }, 300_000);
});
