import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { warp2D, type BorderMode } from '../../src/motion/warp.js';
import { centroid, dots, pattern } from './synthetic.js';

const W = 101;
const H = 81;
const cx = W / 2;
const cy = H / 2;
const still = { zoom: 1, angle: 0, translationX: 0, translationY: 0 };

describe('warp2D', () => {
  it('returns the same bytes for the identity motion', () => {
    const img = pattern(W, H);
    expect(Buffer.from(warp2D(img, still).data).equals(Buffer.from(img.data))).toBe(true);
  });

  it('zoom > 1 moves content outward from the centre by the zoom factor', () => {
    // A dot 20 px right of the centre (the centre of pixel x sits at x; OpenCV maps pixel centres).
    const img = dots(W, H, [[Math.round(cx + 20), Math.round(cy)]]);
    const out = warp2D(img, { ...still, zoom: 1.5 });
    const [x, y] = centroid(out, Math.round(cx + 30), Math.round(cy), 6);
    expect(x).toBeCloseTo(cx + (Math.round(cx + 20) - cx) * 1.5, 0);
    expect(y).toBeCloseTo(cy + (Math.round(cy) - cy) * 1.5, 0);
  });

  it('zoom < 1 moves content toward the centre', () => {
    const img = dots(W, H, [[Math.round(cx - 30), Math.round(cy)]]);
    const [x] = centroid(warp2D(img, { ...still, zoom: 0.5 }), Math.round(cx - 15), Math.round(cy), 6);
    expect(x).toBeCloseTo(cx + (Math.round(cx - 30) - cx) * 0.5, 0);
  });

  it('a positive angle rotates counter-clockwise on screen: right of centre goes up', () => {
    const img = dots(W, H, [[Math.round(cx + 20), Math.round(cy)]]);
    const out = warp2D(img, { ...still, angle: 90 });
    const [x, y] = centroid(out, Math.round(cx), Math.round(cy - 20), 6);
    expect(x).toBeCloseTo(cx + (Math.round(cy) - cy), 0);
    expect(y).toBeCloseTo(cy - (Math.round(cx + 20) - cx), 0);
  });

  it('translationX > 0 moves content right and translationY > 0 moves it down, by whole pixels exactly', () => {
    const img = pattern(W, H);
    const out = warp2D(img, { ...still, translationX: 5, translationY: 3 });
    for (const [x, y] of [[10, 10], [50, 40], [100, 80]]) {
      const src = ((y - 3) * W + (x - 5)) * 3;
      expect([...out.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)]).toEqual([...img.data.subarray(src, src + 3)]);
    }
  });

  it('scales translation with the zoom (M = R @ T, as Deforum)', () => {
    const img = dots(W, H, [[Math.round(cx), Math.round(cy)]]);
    const out = warp2D(img, { ...still, zoom: 2, translationX: 5 });
    const [x] = centroid(out, Math.round(cx + 10), Math.round(cy), 5);
    expect(x).toBeCloseTo(cx + (Math.round(cx) - cx + 5) * 2, 0);
  });

  const edgeCases: [BorderMode, (x: number) => number][] = [
    ['replicate', () => 0],
    ['wrap', (x) => W - 10 + x],
    ['reflect', (x) => 9 - x],
  ];
  it.each(edgeCases)('border %s fills the revealed left edge as OpenCV does', (border, source) => {
    const img = pattern(W, H);
    const out = warp2D(img, { ...still, translationX: 10 }, border);
    for (let x = 0; x < 10; x++) {
      const y = 20;
      const got = [...out.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
      const want = [...img.data.subarray((y * W + source(x)) * 3, (y * W + source(x)) * 3 + 3)];
      expect(got, `x=${x}`).toEqual(want);
    }
  });

  it('keeps the size and channel count', () => {
    const out = warp2D(pattern(W, H), { ...still, zoom: 1.2, angle: 10 });
    expect([out.width, out.height, out.channels, out.data.length]).toEqual([W, H, 3, W * H * 3]);
  });

  describe('matches cv2.warpPerspective byte for byte (test/fixtures/motion-warp.json, OpenCV 4.6)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/motion-warp.json', import.meta.url), 'utf8')) as {
      width: number;
      height: number;
      cases: { zoom: number; angle: number; translationX: number; translationY: number; border: BorderMode; data: string }[];
    };
    const img = pattern(fixture.width, fixture.height);
    it.each(fixture.cases.map((c) => [`zoom ${c.zoom} angle ${c.angle} t ${c.translationX},${c.translationY} ${c.border}`, c] as const))(
      '%s',
      (_, c) => {
        const out = warp2D(img, c, c.border);
        const want = Buffer.from(c.data, 'base64');
        let differing = 0;
        for (let i = 0; i < want.length; i++) if (out.data[i] !== want[i]) differing++;
        expect(differing).toBe(0);
      },
    );
  });
});
