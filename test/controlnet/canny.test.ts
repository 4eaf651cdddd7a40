import { describe, expect, it } from 'vitest';
import { canny } from '../../src/controlnet/canny.js';
import { createMat8 } from '../../src/controlnet/cv-mat.js';
import { cases, input, sha256 } from './preprocessor-fixtures.js';

describe('canny', () => {
  it(`equals cv2.Canny (OpenCV 4.6, aperture 3, L1) on ${cases.cvCanny.length} image × threshold cases`, async () => {
    const mismatches: string[] = [];
    for (const c of cases.cvCanny) if (sha256(canny(await input(c.input), c.low, c.high)) !== c.sha256) mismatches.push(`${c.input} ${c.low}/${c.high}`);
    expect(mismatches).toEqual([]);
  });

  it('keeps a weak edge only where it connects to a strong one (hysteresis, 8-connected)', () => {
    // a vertical step of 20 (Sobel L1 80: a candidate between 50 and 200), and the same with its top rows a step of 80
    const step = (top: number) => {
      const image = createMat8(8, 8, 1);
      for (let y = 0; y < 8; y++) for (let x = 4; x < 8; x++) image.data[y * 8 + x] = y < 2 ? top : 20;
      return image;
    };
    const edgeRows = (image: ReturnType<typeof createMat8>) => {
      const map = canny(image, 50, 200);
      return Array.from({ length: 8 }, (_, y) => map.data.subarray(y * 8, y * 8 + 8).some((v) => v === 255)).filter(Boolean).length;
    };
    expect(edgeRows(step(20))).toBe(0);
    expect(edgeRows(step(80))).toBe(8);
  });
});
