import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyUnsharpMask, gaussianBlur, gaussianKernelFixed, type UnsharpMask } from '../../src/motion/unsharp-mask.js';
import type { RawImage } from '../../src/raw-image.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/motion-unsharp.json', import.meta.url), 'utf8')) as {
  width: number;
  height: number;
  image: string;
  cases: (UnsharpMask & { blurred: string; data: string })[];
};
const image: RawImage = { width: fixture.width, height: fixture.height, channels: 3, data: new Uint8Array(Buffer.from(fixture.image, 'base64')) };

describe('applyUnsharpMask', () => {
  it.each(fixture.cases.map((c) => [`kernel ${c.kernel} sigma ${c.sigma} amount ${c.amount} threshold ${c.threshold}`, c] as const))(
    '%s equals Deforum (cv2.GaussianBlur) byte for byte',
    (_, c) => {
      expect(Buffer.from(gaussianBlur(image, c.kernel, c.sigma)).equals(Buffer.from(c.blurred, 'base64'))).toBe(true);
      expect(Buffer.from(applyUnsharpMask(image, c).data).equals(Buffer.from(c.data, 'base64'))).toBe(true);
    },
  );

  it('sharpens: an edge gets more contrast', () => {
    const step: RawImage = { width: 8, height: 1, channels: 3, data: Uint8Array.from({ length: 24 }, (_, i) => (i < 12 ? 100 : 160)) };
    const out = applyUnsharpMask(step, { kernel: 5, sigma: 1, amount: 1, threshold: 0 });
    expect(out.data[9]).toBeLessThan(100); // just left of the edge gets darker
    expect(out.data[12]).toBeGreaterThan(160); // just right of it brighter
  });

  it('amount 0 returns the image unchanged', () => {
    expect(applyUnsharpMask(image, { kernel: 5, sigma: 1, amount: 0, threshold: 0 }).data).toBe(image.data);
  });

  it('uses OpenCV\'s fixed-point 5-tap kernel for sigma 1 (weights in 1/256)', () => {
    expect([...gaussianKernelFixed(5, 1)]).toEqual([14, 62, 104, 62, 14]);
  });

  it('refuses an even kernel size', () => {
    expect(() => gaussianBlur(image, 4, 1)).toThrow(/positive odd integer, got 4/);
  });
});
