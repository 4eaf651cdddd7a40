import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deforum-plot-'));

describe('deforum plot', () => {
  it('writes a PNG with one panel per numeric schedule', async () => {
    const out = path.join(tmp, 'schedules.png');
    const r = runCli(['plot', 'schedules/eased.json', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${out}: 15 schedules over 48 frames\n`);
    const { width, height } = await sharp(out).metadata();
    expect(width).toBe(960);
    expect(height).toBe(56 + 15 * (96 + 30) + 40);
    // Curve pixels (blue) and prompt-change markers (orange) are drawn.
    const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let blue = 0;
    let orange = 0;
    for (let i = 0; i < data.length; i += info.channels) {
      const [r0, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (b > 150 && r0 < 80 && g < 140) blue++;
      if (r0 > 180 && g < 120 && b < 60) orange++;
    }
    expect(blue).toBeGreaterThan(1000);
    expect(orange).toBeGreaterThan(100);
  });

  it('needs -o and a valid file', () => {
    expect(runCli(['plot', 'schedules/eased.json']).code).toBe(2);
    const r = runCli(['plot', 'nope.json', '-o', path.join(tmp, 'x.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('deforum: nope.json: no such file\n');
    const folder = runCli(['plot', 'schedules/eased.json', '-o', tmp]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(`deforum: -o: ${tmp} is a folder; expected a file name\n`);
  });
});
