import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readImageFile } from '../../src/image-file.js';
import { repoRoot, runCli } from '../helpers.js';
import type { Warp3DCase } from '../motion/warp3d.test.js';

const dir = path.join(repoRoot, 'test/fixtures/warp3d');
const { cases } = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { cases: Warp3DCase[] };
const input = path.join(dir, 'input.png');
const work = mkdtempSync(path.join(tmpdir(), 'deforum-warp3d-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));
// runCli blocks the worker; yielding between tests lets vitest's RPC get through on a slow machine.
afterEach(() => new Promise((resolve) => setImmediate(resolve)));

/** The command line for a golden case, negative numbers written as --flag=value. */
function argsOf(c: Warp3DCase, output: string): string[] {
  const args = ['debug', 'warp3d', '--image', input, `--translation=${c.translation.join(',')}`, `--rotation=${c.rotation.join(',')}`, `--fov=${c.fov}`];
  args.push(`--near=${c.near}`, `--far=${c.far}`, `--aspect=${c.aspect}`, '--padding', c.padding, '--sampling', c.sampling, '--depth-algorithm', c.algorithm, '-o', output);
  if (c.depth) args.push('--depth', path.join(dir, c.depth));
  if (c.oldAspect) args.push('--old-aspect');
  return args;
}

describe('deforum debug warp3d', () => {
  it.each(['midas', 'fov-negative', 'aspect-old', 'midas-adabins-old', 'reflection-nearest'])("writes Deforum's pixels for the %s golden", async (name) => {
    const c = cases.find((k) => k.name === name)!;
    const output = path.join(work, `${name}.png`);
    const r = runCli(argsOf(c, output));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Buffer.from((await readImageFile(output)).data).equals(Buffer.from((await readImageFile(path.join(dir, c.output))).data))).toBe(true);
  });

  it("uses Deforum's 3D defaults (translation z 1.75, fov 70, Midas-3-Hybrid, border, bicubic) and warns once on an invalid depth map", async () => {
    const plain = path.join(work, 'defaults.png');
    const explicit = path.join(work, 'explicit.png');
    expect(runCli(['debug', 'warp3d', '--image', input, '-o', plain]).code).toBe(0);
    const r = runCli(['debug', 'warp3d', '--image', input, '--depth', path.join(dir, 'depth-nan.npy'), '--translation', '0,0,1.75', '--fov', '70', '--near', '200', '--far', '10000', '--aspect', '1', '-o', explicit]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`deforum: warning: --depth: ${path.join(dir, 'depth-nan.npy')} has NaN, infinite or constant values; Deforum warps it with flat depth (z = 1)\n`);
    expect(Buffer.from((await readImageFile(plain)).data).equals(Buffer.from((await readImageFile(explicit)).data))).toBe(true);
  });

  const header = (descr: string, shape: string) => {
    const text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(117, ' ') + '\n';
    return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length, 0]), Buffer.from(text, 'latin1')]);
  };
  const npy = (name: string, bytes: Buffer) => {
    const file = path.join(work, name);
    writeFileSync(file, bytes);
    return file;
  };

  it.each([
    [['--image', 'missing.png'], '--image: file not found: missing.png'],
    [['--fov', '0'], "option '--fov <degrees>' argument '0' is invalid. expected a non-zero number (the field of view)."],
    [['--fov=-181'], "option '--fov <degrees>' argument '-181' is invalid. expected a number from -180 to 180, not 0."],
    [['--translation', '1,2'], "option '--translation <x,y,z>' argument '1,2' is invalid. expected three comma-separated numbers from -1000000 to 1000000, e.g. 3,2,10 (a negative first value as =-3,2,10)."],
    [['--sampling', 'lanczos'], "option '--sampling <mode>' argument 'lanczos' is invalid. expected one of bicubic, bilinear, nearest."],
    [['--depth-algorithm', 'Marigold'], '--depth-algorithm: unknown algorithm "Marigold"; expected one of Midas-3-Hybrid, Midas-3.1-BeitLarge, AdaBins, Leres, Zoe, Depth-Anything-V2-Small, Midas+AdaBins (old), Zoe+AdaBins (old) (case-insensitive; any name starting with Midas or Depth-Anything)'],
  ])('rejects %j with one line and exit 2', (extra, message) => {
    const r = runCli(['debug', 'warp3d', '--image', input, '-o', path.join(work, 'bad.png'), ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: ${message}\n`);
  });

  it.each([
    ['not-npy.npy', () => Buffer.from('hello'), 'not a NumPy .npy file (no \\x93NUMPY magic)'],
    ['int.npy', () => Buffer.concat([header('<i4', '(48, 64)'), Buffer.alloc(48 * 64 * 4)]), "expected a float32 ('<f4') or float64 ('<f8') array, got dtype '<i4'"],
    ['shape.npy', () => Buffer.concat([header('<f4', '(64, 48)'), Buffer.alloc(48 * 64 * 4)]), 'expected shape (48, 64) to match the image, got (64, 48)'],
    ['3d.npy', () => Buffer.concat([header('<f4', '(1, 48, 64)'), Buffer.alloc(48 * 64 * 4)]), 'expected a 2-D array (H, W), got shape (1, 48, 64)'],
    ['short.npy', () => Buffer.concat([header('<f4', '(48, 64)'), Buffer.alloc(100)]), 'expected 12288 bytes of data after the header, the file has 100'],
  ])('rejects the depth file %s with one line naming it', (name, bytes, message) => {
    const file = npy(name, bytes());
    const r = runCli(['debug', 'warp3d', '--image', input, '--depth', file, '-o', path.join(work, 'bad.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`deforum: --depth: ${file}: ${message}\n`);
  });

  it('reads a float64 depth map as float32, as a float32 one of the same values', async () => {
    const raw = readFileSync(path.join(dir, 'depth-disparity.npy'));
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset + 128, raw.byteOffset + raw.length));
    const f8 = npy('f8.npy', Buffer.concat([header('<f8', '(48, 64)'), Buffer.from(Float64Array.from(values).buffer)]));
    const a = path.join(work, 'f8.png');
    const b = path.join(work, 'f4.png');
    expect(runCli(['debug', 'warp3d', '--image', input, '--depth', f8, '-o', a]).code).toBe(0);
    expect(runCli(['debug', 'warp3d', '--image', input, '--depth', path.join(dir, 'depth-disparity.npy'), '-o', b]).code).toBe(0);
    expect(Buffer.from((await readImageFile(a)).data).equals(Buffer.from((await readImageFile(b)).data))).toBe(true);
  });
});
