import { describe, expect, it } from 'vitest';
import { fitImage, fitPose, placement } from '../../src/controlnet/pose-fit.js';
import type { Pose } from '../../src/controlnet/pose.js';

const pose = (width: number, height: number, points: Array<[number, number]>): Pose => ({
  width,
  height,
  people: [points.map(([x, y]) => ({ x, y }))],
});

describe('fitPose', () => {
  const square = pose(128, 128, [[64, 64], [10, 10]]);
  it('just-resize stretches each axis', () => {
    expect(fitPose(square, 256, 128, 'just-resize').people[0]).toEqual([{ x: 128, y: 64 }, { x: 20, y: 10 }]);
  });
  it('inner-fit scales to cover and crops the centre', () => {
    expect(fitPose(square, 256, 128, 'inner-fit').people[0]).toEqual([{ x: 128, y: 64 }, { x: 20, y: -44 }]);
  });
  it('outer-fit scales to fit and centres with padding', () => {
    expect(fitPose(square, 256, 128, 'outer-fit').people[0]).toEqual([{ x: 128, y: 64 }, { x: 74, y: 10 }]);
  });
  it('keeps coordinates unchanged at the canvas size in every mode', () => {
    const odd = pose(100, 60, [[33.3, 17.7]]);
    for (const mode of ['just-resize', 'inner-fit', 'outer-fit'] as const) {
      expect(fitPose(odd, 100, 60, mode).people[0][0]).toEqual({ x: 33.3, y: 17.7 });
    }
  });
  it('rounds the scaled size half to even and floors the offset, as ControlNet does', () => {
    expect(placement({ width: 100, height: 60 }, 64, 64, 'inner-fit')).toEqual({ scaledWidth: 107, scaledHeight: 64, offsetX: -22, offsetY: 0 });
    expect(placement({ width: 100, height: 60 }, 64, 64, 'outer-fit')).toEqual({ scaledWidth: 64, scaledHeight: 38, offsetX: 0, offsetY: 13 });
    expect(placement({ width: 5, height: 2 }, 2, 2, 'outer-fit').scaledHeight).toBe(1); // 0.8 → 1; 2.5 would round to 2
  });
  it('keeps missing joints missing', () => {
    const withGap: Pose = { width: 64, height: 64, people: [[null, { x: 1, y: 1 }]] };
    expect(fitPose(withGap, 128, 128, 'inner-fit').people[0]).toEqual([null, { x: 2, y: 2 }]);
  });
});

describe('fitImage', () => {
  const red = { width: 4, height: 2, channels: 3 as const, data: new Uint8Array(4 * 2 * 3).map((_, i) => (i % 3 === 0 ? 255 : 0)) };
  const row = (data: Uint8Array, y: number) => Array.from(data.subarray(y * 12, y * 12 + 12));
  it('outer-fit pads with black', async () => {
    const fitted = await fitImage(red, 4, 4, 'outer-fit');
    expect(row(fitted.data, 0)).toEqual(Array(12).fill(0));
    expect(row(fitted.data, 1)).toEqual([255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0]);
    expect(row(fitted.data, 3)).toEqual(Array(12).fill(0));
  });
  it('inner-fit fills the frame', async () => {
    const fitted = await fitImage(red, 4, 4, 'inner-fit');
    expect([fitted.width, fitted.height]).toEqual([4, 4]);
    expect(row(fitted.data, 0)).toEqual([255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0]);
  });
});
