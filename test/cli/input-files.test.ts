import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { damagedInputs, type DamagedInput } from '../render/damaged-inputs.js';
import { animationFile, frameBytes, runCliAsync } from '../render/render-fixture.js';
import { runCli } from '../helpers.js';

// Each case once ran for ever (/dev/zero, a FIFO) or failed late as "internal error", exit 1; now it is refused in seconds.
const QUICK = { timeout: 20_000 };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('files a keyframe file names', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-inputs-'));
  let cases: DamagedInput[];

  beforeAll(async () => {
    cases = await damagedInputs(dir);
  });

  /** One file named as init image, colour sample, audio and pose image at once. */
  const namingAll = (input: DamagedInput, name: string) =>
    animationFile(dir, {
      frames: 2,
      initImage: input.file,
      colorCoherence: 'image',
      colorCoherenceImage: input.file,
      output: { preset: 'ultrafast', audio: input.file },
      controlnet: [{ pose: { image: input.file } }],
    }, name);

  /** The problem lines, unanchored: field, file and what is wrong with it. */
  const expectedLines = (source: string, input: DamagedInput) => [
    `${escape(source)}: initImage: ${escape(input.file)} ${input.asImage.source}`,
    `${escape(source)}: colorCoherenceImage: ${escape(input.file)} ${input.asImage.source}`,
    `${escape(source)}: output\\.audio: ${escape(input.file)} ${input.asAudio.source}`,
    `${escape(source)}: controlnet\\[0\\]\\.pose\\.image: ${escape(input.file)} ${input.asImage.source}`,
  ];

  it.each([
    'a directory', 'a 0-byte file', 'a truncated PNG', 'a text file named .png', 'a decompression bomb', '/dev/zero', 'a FIFO', 'random bytes', 'a missing file',
  ])('%s: validate lists one line per field naming the file, exit 2', (name) => {
    const input = cases.find((c) => c.name === name)!;
    const source = namingAll(input, `validate-${cases.indexOf(input)}.json`);
    const r = runCli(['validate', source], { timeout: QUICK.timeout });
    expect(r.code, r.stderr).toBe(2);
    // warnings (a prompt key past these 2 frames) are not problems
    const lines = r.stdout.trimEnd().split('\n').filter((line) => !line.endsWith('(warning)'));
    expect(lines).toHaveLength(4);
    expectedLines(source, input).forEach((pattern, i) => expect(lines[i]).toMatch(new RegExp(`^${pattern}$`)));
    expect(r.stderr).toBe(`deforum: ${source}: 4 problems with the files it names (listed above)\n`);
  }, QUICK.timeout);

  it.each([
    'a directory', 'a 0-byte file', 'a truncated PNG', 'a text file named .png', 'a decompression bomb', '/dev/zero', 'a FIFO', 'random bytes', 'a missing file',
  ])('%s: render refuses it before the first frame, exit 2, naming field and file', async (name) => {
    const input = cases.find((c) => c.name === name)!;
    const source = namingAll(input, `render-${cases.indexOf(input)}.json`);
    const out = path.join(dir, `out-${cases.indexOf(input)}`);
    const r = await runCliAsync(['render', source, '--device', 'cpu', '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    const [first] = expectedLines(source, input);
    expect(r.stderr).toMatch(new RegExp(`^deforum: ${first} \\(and 3 more; run '(npx )?deforum validate ${escape(source)}' to see all\\)\\n$`, 'm'));
    expect(existsSync(path.join(out, 'frames'))).toBe(false);
  }, QUICK.timeout);

  it('an input damaged after a render leaves its frames byte for byte: render and resume refuse it', async () => {
    const out = path.join(dir, 'rendered');
    const init = path.join(dir, 'init.png');
    writeFileSync(init, await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3060c0' } }).png().toBuffer());
    const source = animationFile(dir, { frames: 2, initImage: 'init.png' }, 'rendered.json');
    const first = await runCliAsync(['render', source, '--device', 'cpu', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const before = frameBytes(out);
    copyFileSync(cases.find((c) => c.name === 'a truncated PNG')!.file, init);
    for (const command of [['render', source, '--device', 'cpu', '--out', out, '--force'], ['resume', out, '--device', 'cpu']]) {
      const r = await runCliAsync(command);
      expect(r.code, `${command[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr.split('\n').filter((line) => !line.startsWith('warning: '))).toEqual([`deforum: ${source}: initImage: ${init} is damaged or truncated (pngload: end of stream)`, '']);
    }
    expect(frameBytes(out)).toEqual(before);
  }, 120_000);
});

describe('the keyframe file itself', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-keyframe-file-'));

  it('a FIFO is refused, not waited on: validate, render, plan and import exit 2', () => {
    const fifo = path.join(dir, 'anim.json');
    execFileSync('mkfifo', [fifo]);
    for (const command of [['validate', fifo], ['render', fifo], ['plan', fifo], ['import', fifo]]) {
      const r = runCli(command, { timeout: 10_000 });
      expect(r.code, `${command[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toBe(`deforum: ${fifo}: is a FIFO (named pipe), not a regular file, expected a JSON file\n`);
    }
  }, QUICK.timeout);

  it('a directory or a device is refused', () => {
    expect(runCli(['validate', dir]).stderr).toBe(`deforum: ${dir}: is a directory, expected a JSON file\n`);
    const r = runCli(['validate', '/dev/zero'], { timeout: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('deforum: /dev/zero: is a character device, not a regular file, expected a JSON file\n');
  }, QUICK.timeout);

  it('a file over 64 MiB is refused without reading it', () => {
    const huge = path.join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 65 * 2 ** 20);
    const r = runCli(['validate', huge], { timeout: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: ${huge}: is 65 MiB, more than the 64 MiB limit\n`);
  }, QUICK.timeout);
});

describe('paths this machine cannot open (issue 16)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-foreign-'));

  it('validate names each URL, Windows path and other machine\'s path at once, with the fix, exit 2', () => {
    const source = animationFile(dir, {
      frames: 2,
      initImage: 'C:\\Users\\bob\\Pictures\\start.png',
      colorCoherence: 'image',
      colorCoherenceImage: '/home/alice/deforum/colors.png',
      output: { audio: 'https://deforum.github.io/a1/A1.mp3' },
      controlnet: [{ pose: { video: 'D:/cn/dance.mp4' } }],
    }, 'foreign.json');
    const r = runCli(['validate', source], { timeout: QUICK.timeout });
    expect(r.stdout.trimEnd().split('\n').filter((line) => !line.endsWith('(warning)'))).toEqual([
      `${source}: initImage: C:\\Users\\bob\\Pictures\\start.png is a Windows path, which this machine cannot open: copy the file next to the keyframe file and set initImage to "start.png"`,
      `${source}: colorCoherenceImage: /home/alice/deforum/colors.png is not on this machine (its folder does not exist here): copy the file next to the keyframe file and set colorCoherenceImage to "colors.png"`,
      `${source}: output.audio: https://deforum.github.io/a1/A1.mp3 is a URL; files are not downloaded yet: download it, then put it next to the keyframe file and set output.audio to "A1.mp3"`,
      `${source}: controlnet[0].pose.video: D:/cn/dance.mp4 is a Windows path, which this machine cannot open: copy the file next to the keyframe file and set controlnet[0].pose.video to "dance.mp4"`,
    ]);
    expect(r.stderr).toBe(`deforum: ${source}: 4 problems with the files it names (listed above)\n`);
    expect(r.code).toBe(2);
  }, QUICK.timeout);
});
