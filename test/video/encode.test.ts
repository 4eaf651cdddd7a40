import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VideoError } from '../../src/errors.js';
import { checkFfmpeg, encodeVideo } from '../../src/video/encode.js';
import type { FfmpegTools } from '../../src/video/ffmpeg.js';
import { probeVideo } from '../../src/video/probe.js';
import { HEIGHT, WIDTH, streamDuration, tempDir, writeFrames, writeNoiseFrames, writeTone } from './frames.js';

let tools: FfmpegTools;
let framesDir: string;
let out: string;

beforeAll(async () => {
  tools = await checkFfmpeg('mp4');
  out = tempDir();
  framesDir = path.join(out, 'frames');
  // More frames than most tests encode: only frames 0 … frameCount−1 may reach the video.
  await writeFrames(framesDir, 60);
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

  it('makes a GIF of exactly frames 0 … frameCount−1', async () => {
    const output = path.join(out, 'first-45.gif');
    await encodeVideo({ framesDir, frameCount: 45, fps: 15, format: 'gif', output, tools });
    expect((await probeVideo(output, tools)).frames).toBe(45);
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

  // 45 frames at 15 fps: a 3 s video. x264's default `slow` preset reads ahead, which is when `-frames:v` cut the
  // soundtrack to a fraction of a second (issue 13).
  const videoSeconds = 45 / 15;

  it.each(['mp4', 'webm'] as const)('keeps a longer soundtrack in %s for the whole video, and no longer', async (format) => {
    const tone = path.join(out, 'long.wav');
    writeTone(tone, 10);
    const output = path.join(out, `long-audio.${format}`);
    await encodeVideo({ framesDir, frameCount: 45, fps: 15, format, audio: tone, output, tools });
    expect((await probeVideo(output, tools)).frames).toBe(45);
    const video = streamDuration(output, 'v')!;
    expect(Math.abs(video - videoSeconds)).toBeLessThan(1 / 15);
    // Within one video frame of the video stream (an audio packet, 20–23 ms, is shorter).
    expect(Math.abs(streamDuration(output, 'a')! - video)).toBeLessThan(1 / 15);
  });

  it.each(['mp4', 'webm'] as const)('keeps a shorter soundtrack in %s whole, and every frame', async (format) => {
    const tone = path.join(out, 'short.wav');
    writeTone(tone, 1.3);
    const output = path.join(out, `short-audio.${format}`);
    await encodeVideo({ framesDir, frameCount: 45, fps: 15, format, audio: tone, output, tools });
    expect((await probeVideo(output, tools)).frames).toBe(45);
    expect(Math.abs(streamDuration(output, 'v')! - videoSeconds)).toBeLessThan(1 / 15);
    // Within one audio packet (AAC 1024 samples at 44.1 kHz: 23 ms; Opus 20 ms).
    expect(Math.abs(streamDuration(output, 'a')! - 1.3)).toBeLessThan(0.025);
  });

  it('stops ffmpeg when aborted, rejecting with the abort reason and leaving no file', async () => {
    const dir = tempDir();
    const frames = path.join(dir, 'frames');
    await writeNoiseFrames(frames, 3000);
    const controller = new AbortController();
    const reason = new Error('render stopped');
    let encoded = 0;
    const encoding = encodeVideo({
      framesDir: frames, frameCount: 3000, format: 'mp4', preset: 'veryslow', output: path.join(dir, 'stopped.mp4'), tools, signal: controller.signal,
      // Stopped at ffmpeg's first progress report: surely still running, however fast the machine.
      onProgress: (p) => {
        encoded = p.frame;
        controller.abort(reason);
      },
    });
    await expect(encoding).rejects.toBe(reason);
    expect(encoded).toBeLessThan(3000);
    expect(readdirSync(dir)).toEqual(['frames']);
  }, 60_000);

  it.each([
    ['a missing file', (dir: string) => path.join(dir, 'no-such.wav'), /audio file .*no-such\.wav does not exist/],
    ['a folder', (dir: string) => dir, /audio file .* is a folder/],
    // ffmpeg would block opening a FIFO nobody writes to.
    ['a FIFO', (dir: string) => (execFileSync('mkfifo', [path.join(dir, 'fifo.wav')]), path.join(dir, 'fifo.wav')), /audio file .*fifo\.wav is not a regular file/],
  ])('refuses audio naming %s with an exit-code-2 error naming it, writing nothing', async (_, audio, message) => {
    const dir = tempDir();
    const error = await encodeVideo({ framesDir, frameCount: 12, format: 'mp4', audio: audio(dir), output: path.join(dir, 'b.mp4'), tools }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    expect((error as VideoError).exitCode).toBe(2);
    expect((error as VideoError).message).toMatch(message);
    expect(readdirSync(dir).filter((name) => name !== 'fifo.wav')).toEqual([]);
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
