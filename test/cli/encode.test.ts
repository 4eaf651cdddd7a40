import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnimationSchema } from '../../src/keyframes/schema.js';
import { nodeFs } from '../../src/render/durable-fs.js';
import { sha256 } from '../../src/render/job-hash.js';
import { RenderJournal } from '../../src/render/journal.js';
import { runCli } from '../helpers.js';
import { runCliAsync } from '../render/render-fixture.js';
import { streamDuration, tempDir, writeFrames, writeNoiseFrames, writeTone } from '../video/frames.js';

/**
 * A finished render folder as `deforum render` leaves it (settings.json, journal.jsonl, frames/) for `frames` frames at
 * 15 fps, without rendering: `makeFrames` writes the PNGs.
 */
async function renderedFolder(frames: number, makeFrames: (framesDir: string) => Promise<void>): Promise<string> {
  const dir = path.join(tempDir(), 'anim');
  const framesDir = path.join(dir, 'frames');
  mkdirSync(dir);
  await makeFrames(framesDir);
  const animation = AnimationSchema.parse({ prompts: { '0': 'a red circle' }, frames, fps: 15 });
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ source: path.join(path.dirname(dir), 'anim.json'), animation }));
  const entries = Array.from({ length: frames }, (_, frame) => {
    const png = readFileSync(path.join(framesDir, `${String(frame).padStart(9, '0')}.png`));
    return { type: 'frame' as const, frame, job: sha256(`job ${frame}`), png: sha256(png), size: png.length };
  });
  const header = { type: 'render' as const, version: 1 as const, source: path.join(path.dirname(dir), 'anim.json'), name: 'anim', modelId: 'test', device: 'cpu', frames, createdAt: new Date().toISOString() };
  await RenderJournal.write(nodeFs, dir, header, entries);
  return dir;
}

/** Command lines of running processes that mention `text`. */
function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(text));
}

describe('deforum encode', () => {
  it('keeps --audio for the whole video: the audio stream lasts as long as the video stream', async () => {
    const dir = await renderedFolder(45, (framesDir) => writeFrames(framesDir, 45));
    const tone = path.join(path.dirname(dir), 'tone.wav');
    writeTone(tone, 10);
    const r = runCli(['encode', dir, '--audio', tone]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/encoding .*anim\.mp4: frame 45\/45\n/);
    const video = path.join(dir, 'anim.mp4');
    expect(Math.abs(streamDuration(video, 'v')! - 3)).toBeLessThan(1 / 15);
    expect(Math.abs(streamDuration(video, 'a')! - streamDuration(video, 'v')!)).toBeLessThan(1 / 15);
  }, 60_000);

  describe('Ctrl-C during a long encode', () => {
    const frames = 3000;
    let dir: string;
    beforeAll(async () => {
      dir = await renderedFolder(frames, (framesDir) => writeNoiseFrames(framesDir, frames));
    }, 60_000);

    /**
     * `deforum encode` sent SIGINT at ffmpeg's first progress line (surely mid-encode, however fast the machine), and
     * with `twice` again once it says it is stopping (signals sent together would merge into one).
     */
    async function interrupt(twice: boolean): Promise<{ code: number | null; stderr: string; atFrame: number }> {
      let atFrame = Number.NaN;
      let again = twice;
      const run = await runCliAsync(['encode', dir, '--preset', 'veryslow'], {
        killAfterMs: 90_000,
        onOutput: (text, child) => {
          const progress = /encoding .*: frame (\d+)\/3000\n/.exec(text);
          if (Number.isNaN(atFrame) && progress) {
            atFrame = Number(progress[1]);
            child.kill('SIGINT');
          } else if (again && /stopping the encode/.test(text)) {
            again = false;
            child.kill('SIGINT');
          }
        },
      });
      return { code: run.code, stderr: run.stderr, atFrame };
    }

    it('stops ffmpeg, removes its partial file, exits 130 and says how to encode again', async () => {
      const run = await interrupt(false);
      expect(run.atFrame).toBeLessThan(frames);
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toMatch(/^deforum: stopping the encode/m);
      const last = run.stderr.trim().split('\n').at(-1);
      expect(last).toMatch(/^deforum: stopped; .*anim\.mp4 is not written\. Encode again with: (npx )?deforum encode .*anim --preset veryslow$/);
      expect(readdirSync(dir).sort()).toEqual(['frames', 'journal.jsonl', 'settings.json']);
      expect(processesMentioning(dir)).toEqual([]);
    }, 120_000);

    it('quits at once on a second Ctrl-C, taking ffmpeg and its partial file along', async () => {
      const run = await interrupt(true);
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr.trim().split('\n').at(-1)).toBe('deforum: stopped at once');
      expect(readdirSync(dir).sort()).toEqual(['frames', 'journal.jsonl', 'settings.json']);
      expect(processesMentioning(dir)).toEqual([]);
    }, 120_000);
  });

  it('refuses -o naming a folder, with one line and exit 2, writing nothing', async () => {
    const dir = await renderedFolder(4, (framesDir) => writeFrames(framesDir, 4));
    const target = path.join(path.dirname(dir), 'videos');
    mkdirSync(target);
    const r = runCli(['encode', dir, '-o', target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: the video ${target} would replace a folder: name a file, e.g. ${path.join(target, 'video.mp4')}\n`);
    expect(readdirSync(target)).toEqual([]);
    expect(readdirSync(path.dirname(dir)).sort()).toEqual(['anim', 'videos']);
  });

  it('refuses -o into a folder that does not exist, with one line and exit 2, creating nothing', async () => {
    const dir = await renderedFolder(4, (framesDir) => writeFrames(framesDir, 4));
    const output = path.join(path.dirname(dir), 'no-such-folder', 'anim.mp4');
    const r = runCli(['encode', dir, '-o', output]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: cannot write the video ${output}: the folder ${path.dirname(output)} does not exist (create it first)\n`);
    expect(existsSync(path.dirname(output))).toBe(false);
    expect(readdirSync(path.dirname(dir))).toEqual(['anim']);
  });

  it.each([
    ['a missing file', 'no-such.wav', 'does not exist'],
    ['a folder', '.', 'is a folder'],
  ])('refuses --audio naming %s with one line and exit 2, before encoding', async (_, name, expected) => {
    const dir = await renderedFolder(4, (framesDir) => writeFrames(framesDir, 4));
    const audio = path.resolve(path.dirname(dir), name);
    const r = runCli(['encode', dir, '--audio', audio]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: audio file ${audio} ${expected}: give the path of a sound file ffmpeg can read (wav, mp3, m4a, …)\n`);
    expect(readdirSync(dir).sort()).toEqual(['frames', 'journal.jsonl', 'settings.json']);
  });
  it('refuses --audio that is not sound (random bytes named .wav): one line naming it, exit 2, before encoding', async () => {
    const dir = await renderedFolder(4, (framesDir) => writeFrames(framesDir, 4));
    const audio = path.join(path.dirname(dir), 'noise.wav');
    writeFileSync(audio, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    const r = runCli(['encode', dir, '--audio', audio], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^deforum: audio file ${audio.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (is not audio|has no audio stream|cannot be decoded as audio).*: give the path of a sound file ffmpeg can read \\(wav, mp3, m4a, …\\)\\n$`));
    expect(readdirSync(dir).sort()).toEqual(['frames', 'journal.jsonl', 'settings.json']);
  }, 60_000);

  it.each([
    ['journal.jsonl is a FIFO', 'journal.jsonl', /journal\.jsonl is not a regular file, but this render keeps a file there/],
    ['settings.json is a FIFO', 'settings.json', /settings\.json is not a regular file; is this a render folder/],
  ])('refuses a folder whose %s at once instead of waiting on it: one line, exit 2', async (_, name, message) => {
    const dir = await renderedFolder(2, (framesDir) => writeFrames(framesDir, 2));
    execFileSync('rm', [path.join(dir, name)]);
    execFileSync('mkfifo', [path.join(dir, name)]);
    const r = runCli(['encode', dir], { timeout: 10_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  }, 20_000);

  it('refuses a folder another process holds (a render still running), naming the process; the lock is back after an encode', async () => {
    const dir = await renderedFolder(2, (framesDir) => writeFrames(framesDir, 2));
    const holder = { pid: process.pid, host: (await import('node:os')).hostname(), startedAt: new Date().toISOString(), command: 'deforum render anim.json' };
    writeFileSync(path.join(dir, 'render.lock'), JSON.stringify(holder));
    const refused = runCli(['encode', dir, '--preset', 'ultrafast']);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`is in use by process ${process.pid} on .*: deforum render anim\\.json`));
    expect(existsSync(path.join(dir, 'anim.mp4'))).toBe(false);
    execFileSync('rm', [path.join(dir, 'render.lock')]);
    const encoded = runCli(['encode', dir, '--preset', 'ultrafast']);
    expect(encoded.code, encoded.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['anim.mp4', 'frames', 'journal.jsonl', 'settings.json']);
  }, 60_000);
});
