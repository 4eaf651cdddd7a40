import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageFile } from '../../src/image-file.js';
import { depthToZ, depthTransform, equaliseDepth } from '../../src/motion/depth-normalise.js';
import { defaultMotion3D, warp3D, type Motion3D, type Warp3DOptions } from '../../src/motion/warp3d.js';
import { readNpyFile } from '../../src/npy-file.js';
import type { RawImage } from '../../src/raw-image.js';
import { repoRoot } from '../helpers.js';
import { centroid, dots } from './synthetic.js';

/** Goldens from Deforum's own anim_frame_warp_3d (tools/fixtures/deforum_warp3d.py). */
const dir = path.join(repoRoot, 'test/fixtures/warp3d');
export interface Warp3DCase {
  name: string;
  translation: [number, number, number];
  rotation: [number, number, number];
  fov: number;
  near: number;
  far: number;
  aspect: number;
  oldAspect: boolean;
  padding: 'border' | 'reflection' | 'zeros';
  sampling: 'bicubic' | 'bilinear' | 'nearest';
  algorithm: string;
  depth: string | null;
  output: string;
  flatDepth: boolean;
}
const fixture = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { width: number; height: number; input: string; cases: Warp3DCase[] };
const size = { width: fixture.width, height: fixture.height };
const options: Warp3DOptions = { depthAlgorithm: 'Midas-3-Hybrid', padding: 'zeros', sampling: 'bilinear' };

function motionOf(c: Warp3DCase): Motion3D {
  const [translationX, translationY, translationZ] = c.translation;
  const [rotationX, rotationY, rotationZ] = c.rotation;
  return { translationX, translationY, translationZ, rotationX, rotationY, rotationZ, fov: c.fov, near: c.near, far: c.far, aspectRatio: c.aspect, aspectRatioUseOldFormula: c.oldAspect };
}

/** Share of bytes equal, and within 1, between two images of the same size. */
function agreement(a: RawImage, b: RawImage): { exact: number; within1: number } {
  let exact = 0;
  let within1 = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (d === 0) exact++;
    if (d <= 1) within1++;
  }
  return { exact: exact / a.data.length, within1: within1 / a.data.length };
}

describe("warp3D against Deforum's anim_frame_warp_3d", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: every byte equal', async (_name, c) => {
    const input = await readImageFile(path.join(dir, fixture.input));
    const depth = c.depth ? (await readNpyFile(path.join(dir, c.depth), size)).data : undefined;
    const { image, flatDepth } = warp3D(input, depth, motionOf(c), { depthAlgorithm: c.algorithm, padding: c.padding, sampling: c.sampling });
    const expected = await readImageFile(path.join(dir, c.output));
    expect(agreement(image, expected)).toEqual({ exact: 1, within1: 1 });
    expect(flatDepth).toBe(c.flatDepth || c.depth === null);
  });

  it('moves content outward for translation z > 0, near content (MiDaS disparity high) more than far', () => {
    const width = 96;
    const height = 64;
    const img = dots(width, height, [[70, 32], [71, 32], [70, 33], [71, 33]]);
    const at = (depth: Float32Array | undefined) => centroid(warp3D(img, depth, { ...defaultMotion3D, translationZ: 20 }, options).image, 74, 32, 8)[0];
    const disparity = (near: boolean) => Float32Array.from({ length: width * height }, (_, i) => ((i % width >= 60) === near ? 10 : 1));
    const flat = at(undefined);
    expect(flat).toBeGreaterThan(71);
    expect(at(disparity(true))).toBeGreaterThan(at(disparity(false)) + 0.5);
    const mirrored = centroid(warp3D(img, undefined, { ...defaultMotion3D, translationZ: 20, fov: -70 }, options).image, 68, 32, 8)[0];
    expect(mirrored).toBeLessThan(70.5);
  });

  it('rejects an algorithm name Deforum does not know', async () => {
    const input = await readImageFile(path.join(dir, fixture.input));
    expect(() => warp3D(input, undefined, motionOf(fixture.cases[0]), { depthAlgorithm: 'Marigold', padding: 'border', sampling: 'bicubic' })).toThrow(/unknown depth algorithm "Marigold"/);
  });
});

describe('depth normalisation', () => {
  it('routes the two (old) names to the legacy path before the midas prefix, case-insensitively', () => {
    expect(depthTransform('MIDAS+ADABINS (OLD)')).toEqual({ kind: 'legacy' });
    expect(depthTransform('zoe+adabins (old)')).toEqual({ kind: 'legacy' });
    expect(depthTransform('Midas-3.1-BeitLarge')).toEqual({ kind: 'normalised', depth: 1, factor: -1, offset: -2 });
    expect(depthTransform('depth-anything-v2-small')).toEqual({ kind: 'normalised', depth: 1, factor: -1, offset: -2.3 });
    expect(depthTransform('Zoe')).toEqual({ kind: 'normalised', depth: 1, factor: 1, offset: 1 });
    expect(depthTransform('zoe-large')).toBeUndefined();
  });

  it('equalises with numpy.interp over the left bin edges: the minimum maps to cdf[0], the top bin to 1', () => {
    const eq = equaliseDepth(Float32Array.from([0, 0.25, 0.25, 0.5, 1]));
    expect(eq[0]).toBe(0.2);
    expect(eq[4]).toBe(1);
    expect(eq[1]).toBe(0.6);
  });

  it('gives flat z = 1 for constant, NaN and infinite maps, and uses a constant map as is on the legacy path', () => {
    const midas = depthTransform('Midas-3-Hybrid')!;
    for (const bad of [[3, 3, 3, 3], [1, Number.NaN, 2, 3], [1, Number.POSITIVE_INFINITY, 2, 3]]) {
      expect(depthToZ(Float32Array.from(bad), 4, midas)).toEqual({ z: Float32Array.from([1, 1, 1, 1]), flat: true });
    }
    expect(depthToZ(Float32Array.from([3, 3, 3, 3]), 4, { kind: 'legacy' })).toEqual({ z: Float32Array.from([3, 3, 3, 3]), flat: false });
  });
});
