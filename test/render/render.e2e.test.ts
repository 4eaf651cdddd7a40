import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg } from '../../src/video/ffmpeg.js';
import { probeVideo } from '../../src/video/probe.js';
import { animationFile, jsonEvents, runCliAsync, tempDir } from './render-fixture.js';

async function pixels(file: string): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

describe('deforum render', () => {
  let dir: string;
  let outDir: string;
  let run: Awaited<ReturnType<typeof runCliAsync>>;

  beforeAll(async () => {
    dir = tempDir();
    // A one-second tone, muxed into the video and trimmed to it.
    const tools = await findFfmpeg();
    const tone = spawnSync(tools.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', path.join(dir, 'tone.wav')]);
    expect(tone.status).toBe(0);
    const file = animationFile(dir, { output: { preset: 'ultrafast', audio: 'tone.wav' } });
    outDir = path.join(dir, 'renders', 'anim');
    run = await runCliAsync(['render', file, '--device', 'cpu', '--save-plan'], { cwd: dir });
  }, 300_000);

  it('writes every frame, zero-padded, at the animation size, plus settings and plan', async () => {
    expect(run.code, run.stderr).toBe(0);
    const names = readdirSync(path.join(outDir, 'frames')).sort();
    expect(names).toEqual(Array.from({ length: 8 }, (_, i) => `${String(i).padStart(9, '0')}.png`));
    const first = await pixels(path.join(outDir, 'frames', names[0]));
    expect([first.width, first.height]).toEqual([128, 128]);
    const settings = JSON.parse(readFileSync(path.join(outDir, 'settings.json'), 'utf8'));
    expect(settings.animation).toMatchObject({ seed: 42, frames: 8, diffusionCadence: 2, colorCoherence: 'lab', fps: 8 });
    expect(settings.device).toEqual({ requested: 'cpu', used: 'cpu' });
    expect(Object.keys(settings.versions)).toEqual(expect.arrayContaining(['node', 'onnxruntime-node', 'sharp', 'ffmpeg']));
    const plan = JSON.parse(readFileSync(path.join(outDir, 'plan.json'), 'utf8'));
    expect(plan).toHaveLength(8);
    expect(plan[4].prompt).toEqual({ positive: 'a yellow square on a green background', negative: 'purple' });
  });

  it('encodes an H.264 yuv420p MP4 with every frame, the fps, the size and the audio trimmed to the video', async () => {
    const tools = await findFfmpeg();
    const info = await probeVideo(path.join(outDir, 'anim.mp4'), tools);
    expect(info).toMatchObject({ frames: 8, fps: 8, width: 128, height: 128, codec: 'h264', pixFmt: 'yuv420p', hasAudio: true });
    expect(info.duration).toBeLessThan(1.2);
  });

  it('prints plain progress lines when stderr is not a terminal, and a summary line', () => {
    const lines = run.stderr.trim().split('\n');
    expect(lines.some((l) => /^rendering anim: frames 0-7 of 8 on cpu/.test(l))).toBe(true);
    expect(lines.filter((l) => /^frame \d+ \(\d+\/8\) [\d.]+ s\/frame · ETA /.test(l))).toHaveLength(8);
    expect(lines.at(-1)).toMatch(/^done: 8 frames \(8 rendered\) in \S+, [\d.]+ frames\/min, video .*anim\.mp4$/);
  });

  it('emits one JSON event per line with --json', async () => {
    const d = tempDir();
    const file = animationFile(d, { frames: 3 });
    const json = await runCliAsync(['render', file, '--device', 'cpu', '--json', '--out', path.join(d, 'out')]);
    expect(json.code, json.stderr).toBe(0);
    const events = jsonEvents(json.stdout).filter((e) => e.type !== 'info' && e.type !== 'warning');
    expect(events.map((e) => e.type)).toEqual(['start', 'frame', 'frame', 'frame', 'video', 'done']);
    expect(events[1]).toMatchObject({ frame: 0, frames: 3, diffused: true });
    expect(typeof events[1].seconds).toBe('number');
    expect(events.at(-1)).toMatchObject({ frames: 3, rendered: 3 });
  }, 120_000);

  it('stops on Ctrl-C, says how to resume, exits 130, and the resume finishes the render', async () => {
    const d = tempDir();
    const file = animationFile(d, { frames: 30 });
    const out = path.join(d, 'out');
    let sent = false;
    const stopped = await runCliAsync(['render', file, '--device', 'cpu', '--out', out], {
      onOutput: (text, child) => {
        if (!sent && /frame 2 \(/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/stopping after the current step/);
    expect(stopped.stderr).toMatch(/stopped; frames 0-\d+ are saved\. Resume with: deforum resume ".*out"/);
    expect(existsSync(path.join(out, 'render.lock'))).toBe(false);
    const resumed = await runCliAsync(['resume', out, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readdirSync(path.join(out, 'frames'))).toHaveLength(30);
  }, 300_000);

  it('refuses bad input before rendering anything, with exit code 2', async () => {
    const d = tempDir();
    const missing = await runCliAsync(['render', path.join(d, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: no such file/);
    const file = animationFile(d, { initImage: 'missing.png' });
    const noInit = await runCliAsync(['render', file, '--device', 'cpu', '--out', path.join(d, 'out')]);
    expect(noInit.code).toBe(2);
    expect(noInit.stderr).toMatch(/initImage: file not found: .*missing\.png/);
    expect(existsSync(path.join(d, 'out', 'frames'))).toBe(false);
    const noFfmpeg = await runCliAsync(['render', animationFile(d), '--device', 'cpu', '--out', path.join(d, 'out2')], { env: { FFMPEG_PATH: path.join(d, 'no-ffmpeg') } });
    expect(noFfmpeg.code).toBe(2);
    expect(noFfmpeg.stderr).toMatch(/ffmpeg.*apt-get install ffmpeg/);
    expect(existsSync(path.join(d, 'out2', 'frames'))).toBe(false);
  }, 120_000);
});
