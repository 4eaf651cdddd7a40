import { describe, expect, it } from 'vitest';
import { cvResize } from '../../src/controlnet/opencv-resize.js';
import { cases, green, input, sha256 } from './preprocessor-fixtures.js';

// cv2.resize (OpenCV 4.6.0) of the generated inputs, 1 and 3 channels, every interpolation, shrinking and enlarging
describe('cvResize', () => {
  for (const interpolation of ['nearest', 'linear', 'cubic', 'area'] as const) {
    const own = cases.resize.filter((c) => c.interpolation === interpolation);
    it(`equals cv2.resize INTER_${interpolation.toUpperCase()} byte for byte on ${own.length} cases`, async () => {
      const mismatches: string[] = [];
      for (const c of own) {
        const source = await input(c.input);
        const resized = cvResize(c.channels === 1 ? green(source) : source, c.width, c.height, interpolation);
        if (sha256(resized) !== c.sha256) mismatches.push(`${c.input} ${c.channels}ch → ${c.width}×${c.height}`);
      }
      expect(mismatches).toEqual([]);
    });
  }
});
