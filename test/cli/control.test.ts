import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { cases, fixtures } from '../controlnet/preprocessor-fixtures.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'control-cli-'));
/** Relative to the repository, where the CLI runs: test names stay short. */
const inputFile = (name: string) => path.join('test', 'fixtures', 'canny', 'inputs', `${name}.png`);
const rgb = async (file: string) => {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
};

// The references are the extension's pipelines run with OpenCV 4.6 (tools/fixtures/controlnet_preprocessors.py)
describe('deforum control detect', () => {
  it('writes the canny map equal to cv2.Canny on the resized, padded image', async () => {
    const reference = cases.canny.find((c) => c.input === 'shapes-160x120' && c.resolution === 200 && c.low === 50) as (typeof cases.canny)[number];
    const out = path.join(tmp(), 'edges.png');
    const result = runCli(['control', 'detect', 'canny', inputFile('shapes-160x120'), '-o', out, '--processor-res', '200', '--threshold-a', '50', '--threshold-b', '120']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${out}: canny map 267×200 (processor resolution 200, thresholds 50/120)\n`);
    const [ours, expected] = await Promise.all([rgb(out), rgb(path.join(fixtures, reference.map))]);
    expect([ours.width, ours.height]).toEqual([reference.width, reference.height]);
    expect(ours.data.equals(expected.data)).toBe(true);
  });

  it('uses the extension defaults (processor resolution 512, thresholds 100/200)', async () => {
    const reference = cases.canny.find((c) => c.input === 'ring-grey-99x77' && c.resolution === 512) as (typeof cases.canny)[number];
    const out = path.join(tmp(), 'ring.png');
    const result = runCli(['control', 'detect', 'canny', inputFile('ring-grey-99x77'), '-o', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/canny map 658×512 \(processor resolution 512, thresholds 100\/200\)/);
    expect((await rgb(out)).data.equals((await rgb(path.join(fixtures, reference.map))).data)).toBe(true);
  });

  it('fits the map to --width/--height with the resize mode, as detectmap_proc (thin edges kept thin)', async () => {
    const reference = cases.fit.find((c) => c.input === 'lines-140x100' && c.module === 'canny' && c.mode === 'outer-fit' && c.width === 384) as (typeof cases.fit)[number];
    const out = path.join(tmp(), 'fitted.png');
    const args = ['control', 'detect', 'canny', inputFile('lines-140x100'), '-o', out, '--processor-res', '256', '--width', '384', '--height', '216', '--resize-mode', 'outer-fit'];
    const result = runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/, fitted to 384×216 by outer-fit\n$/);
    const ours = await rgb(out);
    expect(createHash('sha256').update(ours.data).digest('hex')).toBe(reference.sha256);
  });

  it('down-samples with tile_resample and passes the image with none', async () => {
    const reference = cases.tile.find((c) => c.input === 'gradient-150x100' && c.rate === 2.6) as (typeof cases.tile)[number];
    const dir = tmp();
    const tile = runCli(['control', 'detect', 'tile_resample', inputFile('gradient-150x100'), '-o', path.join(dir, 'tile.png'), '--threshold-a', '2.6']);
    expect(tile.code).toBe(0);
    expect(tile.stdout).toMatch(/tile_resample map 57×38 \(down-sampling rate 2\.6\)/);
    expect(createHash('sha256').update((await rgb(path.join(dir, 'tile.png'))).data).digest('hex')).toBe(reference.sha256);
    const none = runCli(['control', 'detect', 'none', inputFile('shapes-grey-128'), '-o', path.join(dir, 'none.png')]);
    expect(none.code).toBe(0);
    expect((await rgb(path.join(dir, 'none.png'))).data.equals((await rgb(inputFile('shapes-grey-128'))).data)).toBe(true);
  });

  it('warns about a setting the module does not read', () => {
    const result = runCli(['control', 'detect', 'tile_resample', inputFile('tiny-17x23'), '-o', path.join(tmp(), 't.png'), '--threshold-b', '9']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('deforum: warning: --threshold-b is not used by tile_resample\n');
  });

  it.each([
    ['openpose', /^deforum: module "openpose" detects poses in photos, .*OpenPose maps come from pose keyframes .*module "none"\n$/],
    ['dw_openpose_full', /^deforum: module "dw_openpose_full" detects poses in photos, which needs DWPose\/OpenPose weights/],
    ['depth_midas', /^deforum: module "depth_midas" estimates depth, which comes from the project's depth model .*; give a prepared map with module "none"\n$/],
    ['hed', /^deforum: module "hed" needs a detector or model this project does not ship; give a prepared map with module "none"\n$/],
    ['seg_ofade20k', /^deforum: module "seg_ofade20k" needs a detector or model/],
    ['reference_only', /^deforum: module "reference_only" needs a detector or model/],
    ['cany', /^deforum: unknown module "cany" \(did you mean canny\?\); expected one of none, canny, tile_resample\n$/],
  ])('refuses module %s with exit code 2, one line naming it and the alternative', (module, message) => {
    const out = path.join(tmp(), 'x.png');
    const result = runCli(['control', 'detect', module, inputFile('tiny-17x23'), '-o', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  const shapes = inputFile('shapes-160x120');
  it.each([
    [['missing.png'], /^deforum: missing\.png does not exist, expected an image file\n$/],
    [['README.md'], /^deforum: README\.md is not a PNG, JPEG, WebP, GIF, TIFF or AVIF image\n$/],
    [[shapes, '--threshold-a', '0'], /^deforum: --threshold-a: expected a number from 1 to 255 for canny, got "0"\n$/],
    [[shapes, '--processor-res', '100.5'], /^deforum: --processor-res: expected an integer from 64 to 2048 for canny, got "100\.5"\n$/],
    [[shapes, '--width', '64'], /^deforum: --width needs --height too: the map is fitted to a width×height frame\n$/],
    [[shapes, '--width', '0', '--height', '64'], /^deforum: --width: expected an integer from 1 to 8192, got "0"\n$/],
    [[shapes, '--resize-mode', 'crop'], /^deforum: --resize-mode: expected one of just-resize, inner-fit, outer-fit, got "crop"\n$/],
    [[inputFile('tall-48x200'), '--processor-res', '2048'], /^deforum: the canny map of .*tall-48x200\.png would be 2048×8533, more pixels than the 4096×4096 control detect works on; use a smaller --processor-res\n$/],
  ])('canny %j: exit code 2 and one line', (args, message) => {
    const result = runCli(['control', 'detect', 'canny', ...args, '-o', path.join(tmp(), 'x.png')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('checks -o before reading the image', () => {
    const result = runCli(['control', 'detect', 'canny', inputFile('tiny-17x23'), '-o', '/nonexistent-dir/x.png']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('deforum: -o: folder /nonexistent-dir does not exist\n');
  });

  it('reads a damaged PNG as a bad input, not an internal error', () => {
    const dir = tmp();
    const bad = path.join(dir, 'cut.png');
    writeFileSync(bad, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    const result = runCli(['control', 'detect', 'canny', bad, '-o', path.join(dir, 'x.png')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^deforum: .*cut\.png is (not a PNG|damaged)/);
  });
});
