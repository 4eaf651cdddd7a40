import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadSharp } from '../../src/image-file.js';
import { readNpyFile } from '../../src/npy-file.js';
import { repoRoot, runCli } from '../helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'deforum-depth-'));
const scene = path.join(repoRoot, 'test/fixtures/depth/scenes/00.png');
const fixtureModel = path.join(repoRoot, 'test/fixtures/models/depth/depth-anything-126');
afterAll(() => rmSync(work, { recursive: true, force: true }));
// runCli blocks the worker; yielding between tests lets vitest's RPC get through on a slow machine.
afterEach(() => new Promise((resolve) => setImmediate(resolve)));

async function grey16(file: string): Promise<{ width: number; height: number; values: Uint16Array; channels: number; depth: string }> {
  const sharp = await loadSharp();
  const { depth = '', channels } = await sharp(file).metadata();
  // toColourspace('grey16') keeps the 16 bits as they are (without it sharp converts to 8-bit sRGB)
  const { data, info } = await sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels, depth, values: new Uint16Array(data.buffer, data.byteOffset, data.length / 2) };
}

describe('deforum depth', () => {
  it('writes a 16-bit grey PNG of the image\'s size from the bundled tiny-depth, black to white, and says what it did', async () => {
    const output = path.join(work, 'bundled.png');
    const r = runCli(['depth', scene, '-o', output]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^.*bundled\.png: 64×64 depth from tiny-depth \(depth-anything layout\), cpu, \d+\.\d\d s\n$/);
    const png = await grey16(output);
    expect(png).toMatchObject({ width: 64, height: 64, channels: 1, depth: 'ushort' });
    // Deforum's to_image scaling: the map's minimum is black, its maximum white
    expect(Math.min(...png.values)).toBe(0);
    expect(Math.max(...png.values)).toBe(65535);
  });

  it('--npy writes the raw float32 map that `debug warp3d --depth` reads, and the PNG is that map scaled', async () => {
    const output = path.join(work, 'fixture.png');
    const npy = path.join(work, 'fixture.npy');
    const r = runCli(['depth', scene, '-o', output, '--npy', npy, '--model', fixtureModel, '--device', 'cpu']);
    expect(r.code).toBe(0);
    const bytes = readFileSync(npy);
    // numpy.save's own header for a (64, 64) float32 array: the dict padded to 128 bytes in all
    expect(bytes.subarray(0, 128).toString('latin1')).toBe(`\x93NUMPY\x01\x00v\x00${"{'descr': '<f4', 'fortran_order': False, 'shape': (64, 64), }".padEnd(117)}\n`);
    const { data } = await readNpyFile(npy, { height: 64, width: 64 });
    const png = await grey16(output);
    let min = Infinity;
    let max = -Infinity;
    for (const v of data) [min, max] = [Math.min(min, v), Math.max(max, v)];
    expect(Array.from(png.values)).toEqual(Array.from(data, (v) => Math.trunc(((v - min) / (max - min)) * 65535)));
    const warped = path.join(work, 'warped.png');
    const w = runCli(['debug', 'warp3d', '--image', scene, '--depth', npy, '--depth-algorithm', 'Depth-Anything-V2-Small', '--translation', '0,0,10', '-o', warped]);
    expect(w.stderr).toBe('');
    expect(w.code).toBe(0);
  });

  it.each([
    ['a missing image', () => ['depth', path.join(work, 'nope.png'), '-o', path.join(work, 'x.png')], /^deforum: .*nope\.png does not exist, expected an image file\n$/],
    ['a text file as image', () => {
      const file = path.join(work, 'text.png');
      writeFileSync(file, 'not an image');
      return ['depth', file, '-o', path.join(work, 'x.png')];
    }, /^deforum: .*text\.png is not a PNG, JPEG, WebP, GIF, TIFF or AVIF image\n$/],
    ['a missing model', () => ['depth', scene, '-o', path.join(work, 'x.png'), '--model', 'no-such-depth-model'], /^deforum: depth model "no-such-depth-model" does not exist; expected a bundled depth model \(tiny-depth\), .*\n$/],
    ['a model with a renamed output', () => ['depth', scene, '-o', path.join(work, 'x.png'), '--model', 'test/fixtures/models/depth/depth-broken/renamed-output.onnx'], /^deforum: .*renamed-output\.onnx: expected output "predicted_depth" .*; found outputs "depth" .*\n$/],
    ['a non-ONNX .onnx file', () => ['depth', scene, '-o', path.join(work, 'x.png'), '--model', 'test/fixtures/models/depth/depth-broken/not-onnx.onnx'], /^deforum: .*not-onnx\.onnx: onnxruntime cannot load this ONNX file: .*\n$/],
    ['-o in a missing folder', () => ['depth', scene, '-o', path.join(work, 'missing', 'x.png')], /^deforum: -o: folder .*missing does not exist\n$/],
    ['--npy naming a folder', () => ['depth', scene, '-o', path.join(work, 'x.png'), '--npy', work], /^deforum: --npy: .* is a folder; expected a file name\n$/],
    ['an unknown device', () => ['depth', scene, '-o', path.join(work, 'x.png'), '--device', 'tpu'], /^deforum: --device: unknown device "tpu"; expected one of auto, cuda, webgpu, cpu\n$/],
    ['no -o', () => ['depth', scene], /^deforum: required option '-o, --output <file\.png>' not specified\n$/],
  ])('%s: exit 2 and one line', (_, args, message) => {
    const r = runCli(args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
