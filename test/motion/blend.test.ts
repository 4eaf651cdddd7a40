import { describe, expect, it } from 'vitest';
import { blend } from '../../src/motion/blend.js';

const image = (values: number[]) => ({ width: values.length / 3, height: 1, channels: 3 as const, data: Uint8Array.from(values) });

describe('blend', () => {
  const prev = image([0, 100, 255, 10, 11, 12]);
  const next = image([255, 200, 0, 11, 12, 13]);

  it('returns prev at t = 0 and next at t = 1', () => {
    expect([...blend(prev, next, 0).data]).toEqual([...prev.data]);
    expect([...blend(prev, next, 1).data]).toEqual([...next.data]);
  });

  it('mixes prev·(1−t) + next·t, rounding halves to even as cv2.imwrite', () => {
    // 127.5 → 128, 150, 127.5 → 128, 10.5 → 10, 11.5 → 12, 12.5 → 12
    expect([...blend(prev, next, 0.5).data]).toEqual([128, 150, 128, 10, 12, 12]);
    expect([...blend(prev, next, 0.25).data.slice(0, 3)]).toEqual([64, 125, 191]);
  });

  it('refuses images of different sizes', () => {
    expect(() => blend(prev, image([1, 2, 3]), 0.5)).toThrow(/differ in size/);
  });
});
