import { describe, expect, it } from 'vitest';
import { applyContrast } from '../../src/motion/contrast.js';

const image = (values: number[]) => ({ width: values.length / 3, height: 1, channels: 3 as const, data: Uint8Array.from(values) });

describe('applyContrast', () => {
  it('multiplies and rounds half to even, as numpy round', () => {
    // 5·1.1 = 5.5 → 6 (even), 15·1.1 = 16.5 → 16 (even), 100·0.5 = 50
    expect([...applyContrast(image([5, 15, 100]), 1.1).data.slice(0, 2)]).toEqual([6, 16]);
    expect([...applyContrast(image([5, 15, 100]), 0.5).data]).toEqual([2, 8, 50]);
  });

  it('clips values above 255 instead of wrapping them as Deforum does', () => {
    expect([...applyContrast(image([200, 250, 255]), 1.5).data]).toEqual([255, 255, 255]);
  });

  it('contrast 1 returns the same bytes', () => {
    const img = image([0, 1, 127, 128, 254, 255]);
    expect([...applyContrast(img, 1).data]).toEqual([...img.data]);
  });
});
