import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VideoError } from '../../src/errors.js';
import { checkFfmpeg, encodeVideo } from '../../src/video/encode.js';
import type { FfmpegTools } from '../../src/video/ffmpeg.js';
import { probeVideo } from '../../src/video/probe.js';
import { HEIGHT, WIDTH, tempDir, writeFrames, writeTone } from './frames.js';

let tools: FfmpegTools;
let framesDir: string;
let out: string;

beforeAll(async () => {
  tools = await checkFfmpeg('mp4');
  out = tempDir();
  framesDir = path.join(out, 'frames');
  await writeFrames(framesDir, 12);
});

describe('encodeVideo', () => {
  it.each([
    ['mp4', 'h264', 'yuv420p'],
    ['webm', 'vp9', 'yuv420p'],
    ['gif', 'gif', 'bgra'],
  ] as const)('encodes 12 frames to %s (%s, %s)', async (format, codec, pixFmt) => {
    const output = path.join(out, `video.${format}`);
    await encodeVideo({ framesDir, frameCount: 12, fps: 15, format, output, tools, preset: 'veryfast' });
    const info = await probeVideo(output, tools);
    expect(info).toMatchObject({ frames: 12, width: WIDTH, height: HEIGHT, codec, pixFmt, hasAudio: false });
    // GIF stores delays in 1/100 s, so its rate is only near 15.
    if (format === 'gif') expect(Math.abs(info.fps - 15)).toBeLessThan(1);
    else expect(info.fps).toBe(15);
  });

  it('uses Deforum defaults: 15 fps, and only frames 0 … frameCount−1', async () => {
    const output = path.join(out, 'first-ten.mp4');
    await encodeVideo({ framesDir, frameCount: 10, format: 'mp4', output, tools, preset: 'ultrafast' });
    const info = await probeVideo(output, tools);
    expect([info.frames, info.fps]).toEqual([10, 15]);
  });

  it('reports progress up to the last frame', async () => {
    const seen: number[] = [];
    let done = false;
    await encodeVideo({
      framesDir, frameCount: 12, format: 'mp4', output: path.join(out, 'progress.mp4'), tools, preset: 'ultrafast',
      onProgress: (p) => {
        seen.push(p.frame);
        done ||= p.done;
        expect(p.frameCount).toBe(12);
      },
    });
    expect(seen.at(-1)).toBe(12);
    expect(done).toBe(true);
  });

  it.each(['mp4', 'webm'] as const)('muxes an audio file into %s, trimmed to the video', async (format) => {
    const tone = path.join(out, 'tone.wav');
    writeTone(tone, 3);
    const output = path.join(out, `with-audio.${format}`);
    await encodeVideo({ framesDir, frameCount: 12, fps: 15, format, audio: tone, output, tools, preset: 'ultrafast' });
    const info = await probeVideo(output, tools);
    expect(info.hasAudio).toBe(true);
    expect(info.frames).toBe(12);
    expect(info.duration).toBeGreaterThan(0.75);
    expect(info.duration).toBeLessThan(0.9); // 12 frames at 15 fps = 0.8 s, not the tone's 3 s
  });

  it('keeps every frame when the audio is shorter than the video', async () => {
    const tone = path.join(out, 'short.wav');
    writeTone(tone, 0.3);
    const output = path.join(out, 'short-audio.mp4');
    await encodeVideo({ framesDir, frameCount: 12, fps: 15, format: 'mp4', audio: tone, output, tools, preset: 'ultrafast' });
    const info = await probeVideo(output, tools);
    expect([info.frames, info.hasAudio]).toEqual([12, true]);
  });

  it('stops ffmpeg when aborted, rejecting with the abort reason and leaving no file', async () => {
    const dir = tempDir();
    // ffmpeg blocks opening a FIFO nobody writes to, so it is surely still running when the abort comes.
    const fifo = path.join(tempDir(), 'never.wav');
    execFileSync('mkfifo', [fifo]);
    const controller = new AbortController();
    const reason = new Error('render stopped');
    const encoding = encodeVideo({
      framesDir, frameCount: 12, format: 'mp4', audio: fifo, output: path.join(dir, 'stopped.mp4'), tools, signal: controller.signal,
    });
    setTimeout(() => controller.abort(reason), 300);
    await expect(encoding).rejects.toBe(reason);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a missing audio file with an exit-code-2 error naming it', async () => {
    const error = await encodeVideo({ framesDir, frameCount: 12, format: 'mp4', audio: path.join(out, 'no-such.wav'), output: path.join(out, 'b.mp4'), tools }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    expect((error as VideoError).exitCode).toBe(2);
    expect((error as VideoError).message).toMatch(/audio file .*no-such\.wav does not exist/);
  });

  it('refuses audio for a GIF with an exit-code-2 error', async () => {
    const error = await encodeVideo({ framesDir, frameCount: 12, format: 'gif', audio: 'x.wav', output: path.join(out, 'a.gif'), tools }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    expect((error as VideoError).exitCode).toBe(2);
    expect((error as VideoError).message).toMatch(/GIF has no audio/);
  });

  it('fails on a corrupt frame with ffmpeg\'s own error, leaving no file behind', async () => {
    const dir = path.join(tempDir(), 'frames');
    await writeFrames(dir, 6);
    writeFileSync(path.join(dir, '000000003.png'), 'this is not a PNG');
    const output = path.join(path.dirname(dir), 'broken.mp4');
    const error = await encodeVideo({ framesDir: dir, frameCount: 6, format: 'mp4', output, tools }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    const { message, exitCode } = error as VideoError;
    expect(exitCode).toBe(1);
    expect(message).toMatch(/^cannot encode .*broken\.mp4: ffmpeg exited with code \d+: /);
    expect(message).toMatch(/Invalid PNG signature/);
    expect(message.split('\n')).toHaveLength(1);
    expect(readdirSync(path.dirname(dir)).sort()).toEqual(['frames']);
  });

  it('refuses a gap in the frames, naming the first missing file, instead of writing a short video', async () => {
    const dir = path.join(tempDir(), 'frames');
    await writeFrames(dir, 6);
    rmSync(path.join(dir, '000000004.png'));
    const output = path.join(path.dirname(dir), 'gap.mp4');
    const error = await encodeVideo({ framesDir: dir, frameCount: 6, format: 'mp4', output, tools }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    expect((error as VideoError).exitCode).toBe(2);
    expect((error as VideoError).message).toMatch(/frame 4 is missing: .*000000004\.png does not exist/);
    expect(existsSync(output)).toBe(false);
  });
});
