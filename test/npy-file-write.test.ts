import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, readNpyFile } from '../src/npy-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'deforum-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encodeNpy', () => {
  it('writes numpy.save\'s bytes for a float32 (H, W) array, which readNpyFile reads back', async () => {
    const data = Float32Array.from({ length: 15 }, (_, i) => i / 7 - 1);
    const bytes = encodeNpy(data, 3, 5);
    // numpy.save(np.zeros((3, 5), np.float32)): a 118-byte header dict, 128 bytes before the data
    expect(bytes.subarray(0, 128).toString('latin1')).toBe(`\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }${' '.repeat(58)}\n`);
    expect(bytes.length).toBe(128 + 60);
    const file = path.join(dir, 'a.npy');
    writeFileSync(file, bytes);
    expect(Array.from((await readNpyFile(file, { height: 3, width: 5 })).data)).toEqual(Array.from(data));
  });

  it('refuses values that do not fill the shape', () => {
    expect(() => encodeNpy(new Float32Array(4), 2, 3)).toThrow('4 values for shape (2, 3)');
  });
});
