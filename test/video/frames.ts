import { execFileSync, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export const WIDTH = 64;
export const HEIGHT = 48;

/** A fresh temporary folder. */
export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'deforum-video-'));
}

/** Writes `count` synthetic PNG frames named like the render loop's (`%09d.png`): a square moving across a gradient. */
export async function writeFrames(dir: string, count: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < count; f++) {
    const data = Buffer.alloc(WIDTH * HEIGHT * 3);
    for (let y = 0; y < HEIGHT; y++)
      for (let x = 0; x < WIDTH; x++) {
        const inSquare = x >= f * 4 && x < f * 4 + 12 && y >= 18 && y < 30;
        data.set(inSquare ? [255, 255, 255] : [x * 4, y * 5, 128], (y * WIDTH + x) * 3);
      }
    await sharp(data, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).png().toFile(path.join(dir, `${String(f).padStart(9, '0')}.png`));
  }
}

/**
 * `count` frames of 256×256 noise, eight distinct images linked in turn: an encode slow enough to stop midway (x264
 * finds nothing to predict) that is quick to set up.
 */
export async function writeNoiseFrames(dir: string, count: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const distinct = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const file = path.join(dir, `noise-${i}.png`);
      const data = Buffer.from(Array.from({ length: 256 * 256 * 3 }, () => Math.floor(Math.random() * 256)));
      await sharp(data, { raw: { width: 256, height: 256, channels: 3 } }).png().toFile(file);
      return file;
    }),
  );
  for (let f = 0; f < count; f++) linkSync(distinct[f % 8], path.join(dir, `${String(f).padStart(9, '0')}.png`));
}

/** A sine tone of `seconds` as a wav, made by ffmpeg's lavfi source. */
export function writeTone(file: string, seconds: number): void {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, file]);
  if (result.status !== 0) throw new Error(`ffmpeg could not make a tone: ${result.stderr}`);
}

/**
 * The duration in seconds of `file`'s first audio (`a`) or video (`v`) stream as ffprobe reports it: the stream's own
 * `duration` (mp4), else its Matroska `DURATION` tag (webm, "00:00:04.008000000"); undefined without such a stream.
 */
export function streamDuration(file: string, stream: 'a' | 'v'): number | undefined {
  const json = execFileSync('ffprobe', ['-v', 'error', '-select_streams', `${stream}:0`, '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
  const [found] = (JSON.parse(json) as { streams: { duration?: string; tags?: { DURATION?: string } }[] }).streams;
  if (!found) return undefined;
  if (found.duration !== undefined) return Number(found.duration);
  const [h, m, s] = (found.tags?.DURATION ?? 'NaN:NaN:NaN').split(':').map(Number);
  return h * 3600 + m * 60 + s;
}
