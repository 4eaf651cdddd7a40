import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ellipse2Poly } from '../../src/controlnet/opencv-raster.js';
import { loadOpenPoseJson } from '../../src/controlnet/openpose-json.js';
import { drawPose } from '../../src/controlnet/skeleton.js';
import { repoRoot } from '../helpers.js';

// References drawn with real cv2 calls by tools/fixtures/openpose_reference.py (OpenCV 4.6.0)
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'openpose');
const poses = ['stand-128', 'missing-joints-128', 'normalized-256x192', 'angles-256x192', 'border-128', 'random-128'];

async function pixels(file: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe('drawPose', () => {
  it.each(poses)('draws %s pixel-identical to OpenCV draw_bodypose', async (name) => {
    const pose = await loadOpenPoseJson(path.join(fixtures, `${name}.json`));
    const image = drawPose(pose);
    const expected = await pixels(path.join(fixtures, `${name}.png`));
    expect([image.width, image.height]).toEqual([expected.width, expected.height]);
    let differing = 0;
    for (let i = 0; i < image.data.length; i++) if (image.data[i] !== expected.data[i]) differing++;
    expect(differing).toBe(0);
    expect(Buffer.from(image.data).equals(Buffer.from(expected.data))).toBe(true);
  });

  it('uses the 0.6× colour for limbs and the full colour for joints', async () => {
    const pose = await loadOpenPoseJson(path.join(fixtures, 'stand-128.json'));
    const image = drawPose(pose);
    const at = (x: number, y: number) => Array.from(image.data.subarray((y * 128 + x) * 3, (y * 128 + x) * 3 + 3));
    expect(at(64, 36)).toEqual([255, 85, 0]); // neck joint (keypoint 1), drawn after the limbs
    expect(at(64, 28)).toEqual([0, 0, 153]); // middle of neck→nose (limb 12), 0.6 × (0, 0, 255)
    expect(at(0, 0)).toEqual([0, 0, 0]);
  });
});

describe('ellipse2Poly', () => {
  const { cases } = JSON.parse(readFileSync(path.join(fixtures, 'ellipse2poly.json'), 'utf8')) as {
    cases: Array<{ center: [number, number]; axes: [number, number]; angle: number; points: number[] }>;
  };
  it(`matches cv2.ellipse2Poly on ${cases.length} ellipses (every whole angle, angles outside 0..360)`, () => {
    const mismatches = cases.filter(({ center, axes, angle, points }) => {
      const ours = ellipse2Poly({ x: center[0], y: center[1] }, { width: axes[0], height: axes[1] }, angle, 0, 360, 1);
      return JSON.stringify(ours.flatMap((p) => [p.x, p.y])) !== JSON.stringify(points);
    });
    expect(mismatches.map((c) => c.angle)).toEqual([]);
  });
});
