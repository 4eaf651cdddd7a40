import { describe, expect, it } from 'vitest';
import { hwc3, resizeImageWithPad } from '../../src/controlnet/processor-image.js';

describe('hwc3', () => {
  it('blends RGBA over white in float32 and truncates, as annotator/util.py HWC3 (values from numpy 1.24)', () => {
    const rgba = { width: 4, height: 1, channels: 4, data: Uint8Array.from([200, 100, 0, 128, 10, 20, 30, 0, 255, 255, 255, 255, 0, 0, 0, 1]) };
    expect(Array.from(hwc3(rgba).data)).toEqual([227, 177, 126, 255, 255, 255, 255, 255, 255, 254, 254, 254]);
  });
});

describe('resizeImageWithPad', () => {
  it('scales the shorter side to the resolution (halves to even) and pads right and bottom to multiples of 64 with the edge', () => {
    const image = { width: 3, height: 2, channels: 3, data: Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6]) };
    const padded = resizeImageWithPad(image, 3); // k = 1.5: 4.5 → 4 (half to even), 3
    expect([padded.width, padded.height, padded.image.width, padded.image.height]).toEqual([4, 3, 64, 64]);
    const at = (x: number, y: number) => padded.image.data[(y * 64 + x) * 3];
    expect([at(63, 0), at(3, 0), at(0, 63), at(3, 2), at(63, 63)]).toEqual([at(3, 0), at(3, 0), at(0, 2), at(3, 2), at(3, 2)]);
  });
});
