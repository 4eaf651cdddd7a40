import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFolder } from './http-fixture.js';
import { animationFile, jsonEvents, runCliAsync, tempDir } from './render-fixture.js';

const served = tempDir('deforum-served-');
let server: Awaited<ReturnType<typeof serveFolder>>;

beforeAll(async () => {
  await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toFile(path.join(served, 'start.png'));
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', path.join(served, 'tone.mp3')]);
  writeFileSync(path.join(served, 'notes.png'), 'this is text, not an image');
  server = await serveFolder(served);
});
afterAll(() => server?.close());

const render = (file: string, out: string) => runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json']);
const infos = (stdout: string) => jsonEvents(stdout).filter((e) => e.type === 'info' && /^(initImage|output\.audio): /.test(e.message as string)).map((e) => e.message as string);
const prompts = { 0: 'a red circle on a blue background' };

describe('init images and soundtracks by URL', () => {
  it('are downloaded once into the render folder, identified by content, and the copy is used on the next run', async () => {
    const d = tempDir();
    const file = animationFile(d, { frames: 2, steps: 3, width: 64, height: 64, prompts, initImage: `${server.base}/start.png`, output: { preset: 'ultrafast', audio: `${server.base}/tone.mp3` } });
    const out = path.join(d, 'out');
    const first = await render(file, out);
    expect(first.code, first.stderr).toBe(0);
    expect(infos(first.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^initImage: downloaded ${server.base}/start\\.png \\(0\\.0 MiB\\) in ${out}/inputs$`)),
      expect.stringMatching(new RegExp(`^output\\.audio: downloaded ${server.base}/tone\\.mp3 \\(0\\.0 MiB\\) in ${out}/inputs$`)),
    ]);
    expect(readdirSync(path.join(out, 'inputs')).sort((a, b) => a.slice(17).localeCompare(b.slice(17)))).toEqual([expect.stringMatching(/^[0-9a-f]{16}-start\.png$/), expect.stringMatching(/^[0-9a-f]{16}-tone\.mp3$/)]);
    const downloaded = readdirSync(path.join(out, 'inputs')).find((name) => name.endsWith('start.png'))!;
    expect(readFileSync(path.join(out, 'inputs', downloaded)).equals(readFileSync(path.join(served, 'start.png')))).toBe(true);
    const again = await render(file, out);
    expect(again.code, again.stderr).toBe(0);
    expect(infos(again.stdout)[0]).toMatch(/^initImage: using the copy of /);
    expect(jsonEvents(again.stdout).filter((e) => e.type === 'frame')).toHaveLength(0);
  }, 300_000);

  it('fail with one line naming the field and the URL: an HTTP error, a file too large, a file that is not an image', async () => {
    const d = tempDir();
    for (const [name, url, message] of [
      ['missing', `${server.base}/missing/start.png`, 'the server answered HTTP 404 Not Found'],
      ['huge', `${server.base}/huge/start.png`, '1048576.0 MiB, more than the 256.0 MiB download limit'],
      ['text', `${server.base}/notes.png`, 'the downloaded file is not a PNG, JPEG, WebP, GIF, TIFF or AVIF image (expected an image)'],
    ]) {
      const file = animationFile(d, { frames: 2, steps: 3, width: 64, height: 64, prompts, initImage: url }, `${name}.json`);
      const r = await render(file, path.join(d, name));
      expect(r.stderr).toBe(`deforum: ${file}: initImage: ${url}: ${message}\n`);
      expect(r.code).toBe(2);
      expect(readdirSync(path.join(d, name)).includes('frames')).toBe(false);
    }
  }, 120_000);
});
