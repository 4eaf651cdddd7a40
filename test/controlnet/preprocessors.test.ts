import { describe, expect, it } from 'vitest';
import type { Mat8 } from '../../src/controlnet/cv-mat.js';
import { fitDetectedMap } from '../../src/controlnet/detectmap-fit.js';
import { defaultSettings } from '../../src/controlnet/preprocessor-spec.js';
import { runPreprocessor } from '../../src/controlnet/preprocessors.js';
import { cases, input, referenceMap, sha256 } from './preprocessor-fixtures.js';

const differingPixels = (ours: Mat8, reference: Mat8) => {
  let count = 0;
  for (let p = 0; p < reference.width * reference.height; p++) if (ours.data[p * ours.channels] !== reference.data[p]) count++;
  return count;
};

// The extension's pipelines run with OpenCV 4.6.0 by tools/fixtures/controlnet_preprocessors.py
describe('canny preprocessor', () => {
  it(`equals the extension's canny (resize_image_with_pad, cv2.Canny, padding removed) on ${cases.canny.length} image × threshold × resolution cases`, async () => {
    const mismatches: string[] = [];
    for (const c of cases.canny) {
      const map = runPreprocessor('canny', await input(c.input), { processorRes: c.resolution, thresholdA: c.low, thresholdB: c.high });
      const reference = await referenceMap(c.map);
      const grey = map.data.every((v, i) => v === map.data[i - (i % 3)]);
      if (map.width !== reference.width || map.height !== reference.height || !grey || differingPixels(map, reference) > 0) {
        mismatches.push(`${c.map}: ${map.width}×${map.height}, ${differingPixels(map, reference)} pixels differ`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('defaults to resolution 512 and thresholds 100/200, as the extension', () => {
    expect(defaultSettings('canny')).toEqual({ processorRes: 512, thresholdA: 100, thresholdB: 200 });
  });
});

describe('tile_resample and none', () => {
  it(`tile_resample equals the extension's on ${cases.tile.length} image × rate cases (unchanged below 1.1, else INTER_AREA to int(side / rate))`, async () => {
    const mismatches: string[] = [];
    for (const c of cases.tile) {
      const map = runPreprocessor('tile_resample', await input(c.input), { ...defaultSettings('tile_resample'), thresholdA: c.rate });
      if (map.width !== c.width || map.height !== c.height || sha256(map) !== c.sha256) mismatches.push(`${c.input} rate ${c.rate}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('none passes an RGB image as it is and makes grey three channels', async () => {
    const image = await input('shapes-160x120');
    expect(runPreprocessor('none', image, defaultSettings('none'))).toEqual(image);
    const grey = { width: 2, height: 1, channels: 1, data: Uint8Array.from([7, 200]) };
    expect(Array.from(runPreprocessor('none', grey, defaultSettings('none')).data)).toEqual([7, 7, 7, 200, 200, 200]);
  });
});

describe('fitDetectedMap', () => {
  it(`equals the extension's detectmap_proc on ${cases.fit.length} map × frame × resize-mode cases`, async () => {
    const maps = new Map<string, Mat8>();
    const mismatches: string[] = [];
    for (const c of cases.fit) {
      const key = `${c.input}/${c.module}`;
      if (!maps.has(key)) {
        const settings = c.module === 'canny' ? { processorRes: 256, thresholdA: 100, thresholdB: 200 } : { ...defaultSettings(c.module), thresholdA: 2 };
        maps.set(key, runPreprocessor(c.module, await input(c.input), settings));
      }
      const fitted = fitDetectedMap(maps.get(key) as Mat8, c.width, c.height, c.mode);
      if (fitted.width !== c.width || fitted.height !== c.height || sha256(fitted) !== c.sha256) mismatches.push(`${key} ${c.mode} ${c.width}×${c.height}`);
    }
    expect(mismatches).toEqual([]);
  }, 300_000);
});
