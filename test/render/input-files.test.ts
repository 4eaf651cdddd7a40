import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readImageFile } from '../../src/image-file.js';
import { InputFileError } from '../../src/input-file.js';
import { AnimationSchema, type AnimationInput } from '../../src/keyframes/schema.js';
import { checkInputFiles } from '../../src/render/input-files.js';
import { findFfmpeg } from '../../src/video/ffmpeg.js';
import { repoRoot } from '../helpers.js';
import { damagedInputs, type DamagedInput } from './damaged-inputs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-input-files-'));
let cases: DamagedInput[];
const damaged = (name: string) => cases.find((c) => c.name === name)!.file;
const at = (name: string) => path.join(dir, name);

const check = (animation: Partial<AnimationInput>) => checkInputFiles(AnimationSchema.parse({ prompts: { 0: 'a' }, frames: 3, ...animation }), dir);

beforeAll(async () => {
  cases = await damagedInputs(dir);
  writeFileSync(at('good.png'), await sharp({ create: { width: 32, height: 32, channels: 3, background: '#000' } }).png().toBuffer());
  mkdirSync(at('poses'));
  for (const frame of [0, 1]) copyFileSync(at('good.png'), at(`poses/pose${frame}.png`));
  copyFileSync(damaged('a truncated PNG'), at('poses/pose2.png'));
  mkdirSync(at('poses/pose3.png'));
  copyFileSync(path.join(repoRoot, 'schedules', 'poses', 'stand.json'), at('stand.json'));
  const { ffmpeg } = await findFfmpeg();
  execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=4:duration=1', '-pix_fmt', 'yuv420p', at('poses.mp4')]);
});

describe('checkInputFiles', () => {
  it('accepts the files of a working animation', async () => {
    const demo = JSON.parse(readFileSync(path.join(repoRoot, 'schedules', 'pose-demo.json'), 'utf8'));
    expect(await checkInputFiles(AnimationSchema.parse(demo), path.join(repoRoot, 'schedules'))).toEqual([]);
    expect(await check({ initImage: 'good.png', controlnet: [{ pose: { images: 'poses' } }] }).then((p) => p.map((x) => x.path))).toEqual([
      'controlnet[0].pose.images', // only pose2.png: pose3.png is past the last frame
    ]);
  });

  it('names each pose file by its field: keyframes, a single JSON, a folder, a video', async () => {
    const fifo = damaged('a FIFO');
    const problems = await check({
      controlnet: [
        { pose: { 0: 'stand.json', 2: { file: fifo } } },
        { pose: '/dev/zero' },
        { pose: { images: 'poses' } },
        { pose: { images: 'good.png' } },
        { pose: { video: damaged('random bytes') } },
        { pose: { video: damaged('a decompression bomb') } },
        { pose: { video: 'poses.mp4' } },
        { pose: 'good.png', enabled: false },
      ],
    });
    expect(problems).toEqual([
      { path: 'controlnet[0].pose["2"].file', message: `${fifo}: cannot read pose file: it is a FIFO (named pipe), not a regular file` },
      { path: 'controlnet[1].pose', message: '/dev/zero: cannot read pose file: it is a character device, not a regular file' },
      { path: 'controlnet[2].pose.images', message: expect.stringMatching(new RegExp(`^${at('poses/pose2.png')} is damaged or truncated \\(.+\\)$`)) },
      { path: 'controlnet[3].pose.images', message: `${at('good.png')}: not a folder` },
      { path: 'controlnet[4].pose.video', message: expect.stringMatching(/random\.mp3 has no video stream$/) },
      { path: 'controlnet[5].pose.video', message: expect.stringMatching(/bomb\.png cannot be decoded as video \(.+\)$/) },
    ]);
  });

  it('refuses SVG, which librsvg renders by following references to other files', async () => {
    writeFileSync(at('vector.png'), '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="8" height="8"><image xlink:href="/dev/zero"/></svg>');
    expect(await check({ initImage: 'vector.png' })).toEqual([
      { path: 'initImage', message: `${at('vector.png')} is not a PNG, JPEG, WebP, GIF, TIFF or AVIF image (it is SVG)` },
    ]);
  });

  it('refuses a FIFO or a directory inside a model folder instead of waiting on it', async () => {
    const tiny = path.join(repoRoot, 'models', 'tiny-sd');
    const model = at('model');
    cpSync(tiny, model, { recursive: true, filter: (src) => !src.endsWith('.onnx') });
    for (const part of ['text_encoder', 'unet', 'vae_encoder']) symlinkSync(path.join(tiny, part, 'model.onnx'), path.join(model, part, 'model.onnx'));
    const decoder = path.join(model, 'vae_decoder', 'model.onnx');
    const fifo = (file: string) => {
      rmSync(path.join(model, file));
      execFileSync('mkfifo', [path.join(model, file)]);
    };
    mkdirSync(decoder);
    fifo('scheduler/scheduler_config.json');
    expect(await check({ model })).toEqual([{ path: 'model', message: expect.stringMatching(/is missing vae_decoder\/model\.onnx, scheduler\/scheduler_config\.json;/) }]);
    rmSync(decoder, { recursive: true });
    symlinkSync(path.join(tiny, 'vae_decoder', 'model.onnx'), decoder);
    rmSync(path.join(model, 'scheduler/scheduler_config.json'));
    copyFileSync(path.join(tiny, 'scheduler/scheduler_config.json'), path.join(model, 'scheduler/scheduler_config.json'));
    fifo('unet/config.json');
    expect(await check({ model })).toEqual([{ path: 'model', message: 'unet/config.json: is a FIFO (named pipe), not a regular file, expected a JSON config' }]);
  }, 10_000);

  it('names the model folders it cannot use, without loading them', async () => {
    mkdirSync(at('controlnet'));
    execFileSync('mkfifo', [at('controlnet/model.onnx')]);
    const problems = await check({ model: 'no-such-model', controlnet: [{ pose: 'stand.json', model: 'stand.json' }, { pose: 'stand.json', model: 'controlnet' }] });
    expect(problems).toEqual([
      { path: 'model', message: expect.stringMatching(/model folder ".*no-such-model" does not exist/) },
      { path: 'controlnet[0].model', message: `${at('stand.json')}: ControlNet folder not found` },
      { path: 'controlnet[1].model', message: expect.stringMatching(/controlnet: no model\.onnx \(expected a ControlNet exported to ONNX/) },
    ]);
  });
});

describe('readImageFile', () => {
  it('refuses a device, a FIFO and a decompression bomb without reading them', async () => {
    await expect(readImageFile('/dev/zero')).rejects.toThrow(new InputFileError('/dev/zero', 'not-regular', 'is a character device, not a regular file'));
    await expect(readImageFile(damaged('a FIFO'))).rejects.toBeInstanceOf(InputFileError);
    await expect(readImageFile(damaged('a decompression bomb'))).rejects.toThrow(/pixel limit/);
  }, 5_000);
});
