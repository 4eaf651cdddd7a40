import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePngFile } from '../src/image-file.js';
import { createRawImage } from '../src/raw-image.js';

describe('writePngFile', () => {
  it('leaves no temporary file behind when the write fails (the target is a folder)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-png-'));
    mkdirSync(path.join(dir, 'out.png'));
    await expect(writePngFile(createRawImage(8, 8), path.join(dir, 'out.png'))).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['out.png']);
  });

  it('writes the file whole, with nothing else left in its folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-png-'));
    await writePngFile(createRawImage(8, 8), path.join(dir, 'out.png'));
    expect(readdirSync(dir)).toEqual(['out.png']);
  });
});
