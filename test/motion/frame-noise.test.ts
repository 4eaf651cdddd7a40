import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addFrameNoise, defaultFrameNoise, type FrameNoiseSettings } from '../../src/motion/frame-noise.js';
import type { RawImage } from '../../src/raw-image.js';
import { TorchGenerator } from '../../src/sampler/noise.js';

interface NoiseCase extends FrameNoiseSettings { width: number; height: number; amount: number; seed: number; data: string }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/motion-noise.json', import.meta.url), 'utf8')) as { cases: NoiseCase[] };

/** The synthetic frame tools/fixtures/motion_noise.py builds. */
function scene(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([(x * 3 + y) % 256, (y * 2 + 40) % 256, (x + y * 5 + 90) % 256], (y * width + x) * 3);
  return { width, height, channels: 3, data };
}

describe('addFrameNoise', () => {
  it.each(fixture.cases.map((c) => [`${c.type} ${c.width}×${c.height} amount ${c.amount} seed ${c.seed}`, c] as const))(
    '%s equals Deforum add_noise (torch + cv2.addWeighted)',
    (_, c) => {
      const out = addFrameNoise(scene(c.width, c.height), c.amount, new TorchGenerator(c.seed), c);
      const want = Buffer.from(c.data, 'base64');
      let differing = 0;
      for (let i = 0; i < want.length; i++) if (out.data[i] !== want[i]) differing++;
      expect(differing).toBe(0);
    },
  );

  it('is deterministic: the same seed gives the same bytes, another seed other bytes', () => {
    const img = scene(64, 64);
    const uniform = { ...defaultFrameNoise, type: 'uniform' as const };
    const a = addFrameNoise(img, 0.2, new TorchGenerator(5), uniform);
    const b = addFrameNoise(img, 0.2, new TorchGenerator(5), uniform);
    const c = addFrameNoise(img, 0.2, new TorchGenerator(6), uniform);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(false);
  });

  it('amount 0 leaves the frame unchanged', () => {
    const img = scene(64, 64);
    const out = addFrameNoise(img, 0, new TorchGenerator(1), { ...defaultFrameNoise, type: 'uniform' });
    expect(Buffer.from(out.data).equals(Buffer.from(img.data))).toBe(true);
  });
});
