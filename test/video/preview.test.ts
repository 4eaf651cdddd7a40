import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VideoError } from '../../src/errors.js';
import { checkFfmpeg } from '../../src/video/encode.js';
import type { FfmpegTools } from '../../src/video/ffmpeg.js';
import { PreviewEncoder } from '../../src/video/preview.js';
import { probeVideo } from '../../src/video/probe.js';
import { tempDir, writeFrames } from './frames.js';

let tools: FfmpegTools;
beforeAll(async () => {
  tools = await checkFfmpeg('mp4');
});

async function renderFolder(frames: number): Promise<{ dir: string; framesDir: string; output: string }> {
  const dir = tempDir();
  const framesDir = path.join(dir, 'frames');
  await writeFrames(framesDir, frames);
  return { dir, framesDir, output: path.join(dir, 'preview.mp4') };
}

describe('PreviewEncoder', () => {
  it('runs one encode at a time and lets a newer request replace a waiting one', async () => {
    const { dir, framesDir, output } = await renderFolder(12);
    const preview = new PreviewEncoder({ framesDir, output, tools, fps: 15 });
    const results = await Promise.all([preview.request(4), preview.request(8), preview.request(12)]);
    expect(results).toEqual([4, 12, 12]);
    await preview.settled();
    expect((await probeVideo(output, tools)).frames).toBe(12);
    expect(readdirSync(dir).sort()).toEqual(['frames', 'preview.mp4']);
  });

  it('replaces the preview atomically: the final path only ever holds a whole video', async () => {
    const { framesDir, output } = await renderFolder(12);
    const preview = new PreviewEncoder({ framesDir, output, tools });
    await preview.request(3);
    const first = statSync(output);
    const sizes = new Set<number>();
    const watch = setInterval(() => sizes.add(statSync(output).size), 2);
    await preview.request(12);
    clearInterval(watch);
    const last = statSync(output);
    expect(last.ino).not.toBe(first.ino);
    expect([...sizes].every((size) => size === first.size || size === last.size)).toBe(true);
    expect((await probeVideo(output, tools)).frames).toBe(12);
  });

  it('stops with the render: an aborted signal fails the request and leaves no partial file', async () => {
    const { dir, framesDir, output } = await renderFolder(12);
    const controller = new AbortController();
    const preview = new PreviewEncoder({ framesDir, output, tools, signal: controller.signal });
    const request = preview.request(12);
    controller.abort(new Error('stopped'));
    await expect(request).rejects.toThrow('stopped');
    await preview.settled();
    expect(readdirSync(dir)).toEqual(['frames']);
  });

  it('reports a failed encode to whoever waits, and an ignored failure does not crash the process', async () => {
    const { framesDir, output } = await renderFolder(4);
    writeFileSync(path.join(framesDir, '000000002.png'), 'garbage');
    const preview = new PreviewEncoder({ framesDir, output, tools });
    preview.request(4); // not awaited, as a render loop that keeps going would
    const error = await preview.request(4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    await preview.settled();
  });
});
