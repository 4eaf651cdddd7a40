import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageFile } from '../../src/image-file.js';
import { moveCamera, usesDepth, type CameraMotion } from '../../src/motion/camera.js';
import type { PerspectiveFlip } from '../../src/motion/perspective-flip.js';
import type { BorderMode } from '../../src/motion/warp.js';
import { repoRoot } from '../helpers.js';

/** Goldens from Deforum's own anim_frame_warp_2d (tools/fixtures/deforum_camera2d.py, OpenCV 4.6). */
const dir = path.join(repoRoot, 'test/fixtures/camera2d');
interface Camera2DCase {
  name: string;
  zoom: number;
  angle: number;
  translationX: number;
  translationY: number;
  centerX: number;
  centerY: number;
  flip: PerspectiveFlip | null;
  border: BorderMode;
  output: string;
}
const fixture = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { input: string; cases: Camera2DCase[] };

describe("the 2D camera against Deforum's anim_frame_warp_2d", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: every byte equal', async (_name, c) => {
    const input = await readImageFile(path.join(dir, fixture.input));
    const expected = await readImageFile(path.join(dir, c.output));
    const { flip, name: _, output: __, ...motion } = c;
    const out = moveCamera(input, { mode: '2D', ...motion, ...(flip ? { flip } : {}) }, undefined);
    expect(out.data.reduce((n, v, i) => n + (v === expected.data[i] ? 0 : 1), 0)).toBe(0);
  });

  it('drops the 2D translation when the flip is on, as Deforum does', async () => {
    const input = await readImageFile(path.join(dir, fixture.input));
    const flip = { theta: 0, phi: 0, gamma: 5, fv: 53 };
    const base = { mode: '2D', zoom: 1, angle: 0, centerX: 0.5, centerY: 0.5, border: 'replicate', flip } as const;
    const still = moveCamera(input, { ...base, translationX: 0, translationY: 0 }, undefined);
    const moved = moveCamera(input, { ...base, translationX: 6, translationY: -4 }, undefined);
    expect(Buffer.from(moved.data).equals(Buffer.from(still.data))).toBe(true);
  });
});

describe('the 3D camera', () => {
  const motion: CameraMotion = {
    mode: '3D', translationX: 0, translationY: 0, translationZ: 10, rotationX: 0, rotationY: 0, rotationZ: 0, fov: 70, near: 200, far: 10000,
    aspectRatio: 1, aspectRatioUseOldFormula: false, depthAlgorithm: 'Midas-3-Hybrid', depthWarping: true, padding: 'border', sampling: 'bilinear', border: 'replicate',
  };

  it('needs depth only when it warps by depth', () => {
    expect(usesDepth(motion)).toBe(true);
    expect(usesDepth({ ...motion, depthWarping: false })).toBe(false);
    expect(usesDepth({ mode: '2D', zoom: 1, angle: 0, translationX: 0, translationY: 0, border: 'replicate' })).toBe(false);
  });

  it('ignores the depth with depth warping off: flat z = 1, as Deforum', async () => {
    const input = await readImageFile(path.join(dir, fixture.input));
    const depth = Float32Array.from({ length: input.width * input.height }, (_, i) => 1 + (i % input.width));
    const flat = moveCamera(input, motion, undefined);
    expect(Buffer.from(moveCamera(input, { ...motion, depthWarping: false }, depth).data).equals(Buffer.from(flat.data))).toBe(true);
    expect(Buffer.from(moveCamera(input, motion, depth).data).equals(Buffer.from(flat.data))).toBe(false);
  });
});
