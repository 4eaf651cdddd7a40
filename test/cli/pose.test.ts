import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'openpose');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'pose-cli-'));
const pixels = async (file: string) => {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
};

describe('deforum pose render', () => {
  it('draws the pose pixel-identical to the OpenCV reference', async () => {
    const out = path.join(tmp(), 'stand.png');
    const result = runCli(['pose', 'render', path.join(fixtures, 'stand-128.json'), '-o', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${out}: 128×128, 1 person\n`);
    const [ours, reference] = await Promise.all([pixels(out), pixels(path.join(fixtures, 'stand-128.png'))]);
    expect(ours.data.equals(reference.data)).toBe(true);
  });

  it('fits the pose to --width/--height', async () => {
    const out = path.join(tmp(), 'wide.png');
    const result = runCli(['pose', 'render', path.join(fixtures, 'normalized-256x192.json'), '-o', out, '--width', '96', '--height', '64']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/96×64, 2 people/);
    expect((await pixels(out)).width).toBe(96);
  });

  it.each([
    [['pose', 'render', 'missing.json', '-o', 'x.png'], /^deforum: missing\.json: cannot read pose file: file not found\n$/],
    [['pose', 'render', path.join(fixtures, 'stand-128.json')], /^deforum: required option '-o, --output <file.png>' not specified\n$/],
    [['pose', 'render', path.join(fixtures, 'stand-128.json'), '-o', '/nonexistent-dir/x.png'], /^deforum: -o: folder \/nonexistent-dir does not exist\n$/],
    [['pose', 'render', path.join(fixtures, 'stand-128.json'), '-o', 'x.png', '--width', '0'], /^deforum: --width: expected an integer from 1 to 8192, got "0"\n$/],
    [['pose', 'render', path.join(fixtures, 'stand-128.json'), '-o', 'x.png', '--resize-mode', 'crop'], /^deforum: --resize-mode: expected one of just-resize, inner-fit, outer-fit, got "crop"\n$/],
  ])('rejects %j with exit code 2 and one line', (args, message) => {
    const result = runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('names the file and the problem of a bad pose file', () => {
    const dir = tmp();
    const bad = path.join(dir, 'short.json');
    writeFileSync(bad, JSON.stringify({ people: [{ pose_keypoints_2d: [1, 2, 1] }], canvas_width: 64, canvas_height: 64 }));
    const result = runCli(['pose', 'render', bad, '-o', path.join(dir, 'x.png')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`deforum: ${bad}: people[0].pose_keypoints_2d has 3 numbers; expected 54 (18 keypoints × x, y, confidence in COCO-18 order)\n`);
  });
});

describe('deforum pose interpolate', () => {
  it('writes --frames skeletons 0000.png …, the first and last being the two poses', async () => {
    const dir = tmp();
    const out = path.join(dir, 'frames');
    const a = path.join(fixtures, 'stand-128.json');
    const b = path.join(fixtures, 'missing-joints-128.json');
    const result = runCli(['pose', 'interpolate', a, b, '--frames', '6', '-o', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${out}: 6 skeletons 0000.png … 0005.png, 128×128\n`);
    expect(readdirSync(out).sort()).toEqual(['0000.png', '0001.png', '0002.png', '0003.png', '0004.png', '0005.png']);
    expect((await pixels(path.join(out, '0000.png'))).data.equals((await pixels(path.join(fixtures, 'stand-128.png'))).data)).toBe(true);
    expect((await pixels(path.join(out, '0005.png'))).data.equals((await pixels(path.join(fixtures, 'missing-joints-128.png'))).data)).toBe(true);
  });

  it('rejects fewer than 2 frames and unknown interpolations', () => {
    const a = path.join(fixtures, 'stand-128.json');
    const one = runCli(['pose', 'interpolate', a, a, '--frames', '1', '-o', tmp()]);
    expect(one.code).toBe(2);
    expect(one.stderr).toBe('deforum: --frames: expected an integer from 2 to 100000, got "1"\n');
    const wobble = runCli(['pose', 'interpolate', a, a, '--frames', '3', '-o', tmp(), '--interpolation', 'wobble']);
    expect(wobble.code).toBe(2);
    expect(wobble.stderr).toMatch(/^deforum: --interpolation: expected one of linear, step, cubic, easeInSine/);
  });
});
