import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bicubicResize } from '../../src/depth/bicubic-resize.js';
import { repoRoot } from '../helpers.js';

/**
 * torch 1.13's interpolate(bicubic, align_corners=False) outputs, from tools/fixtures/depth_resize.py. Not bit for
 * bit: torch rounds its coordinates and weights in a way we did not reproduce (up to 2e-6 of the largest value
 * measured), far below what a depth network's own run-to-run and runtime differences are.
 */
interface Case { height: number; width: number; outHeight: number; outWidth: number; input: string; output: string }
const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/depth/bicubic-resize.json'), 'utf8')) as { cases: Case[] };
const floats = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
};

describe('bicubicResize (the depth prediction back to the frame size, as Deforum resizes it)', () => {
  it.each(fixture.cases)('$height×$width → $outHeight×$outWidth is within 1e-5 of the largest value from torch', (c) => {
    const input = floats(c.input);
    const got = bicubicResize(input, c.height, c.width, c.outHeight, c.outWidth);
    const want = floats(c.output);
    const scale = Math.max(...input.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
    expect(worst).toBeLessThan(1e-5);
  });
});
