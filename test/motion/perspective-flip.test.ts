import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageFile } from '../../src/image-file.js';
import { flipPerspective, perspectiveFlipMatrix, type FlipBorder, type PerspectiveFlip } from '../../src/motion/perspective-flip.js';
import { repoRoot } from '../helpers.js';
import { centroid, dots } from './synthetic.js';

/** Goldens from Deforum's own flip_3d_perspective (tools/fixtures/deforum_flip.py, OpenCV 4.6). */
const dir = path.join(repoRoot, 'test/fixtures/flip');
interface FlipCase extends PerspectiveFlip {
  name: string;
  border: FlipBorder;
  matrix: number[];
  output: string;
}
const fixture = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { width: number; height: number; input: string; cases: FlipCase[] };
const cases = fixture.cases.map((c) => [c.name, c] as const);

describe("perspective flip against Deforum's flip_3d_perspective", () => {
  it.each(cases)('%s: the matrix is Deforum’s float64 matrix within 1e-13 (BLAS and LU summation order differ in the last bits)', (_name, c) => {
    const m = perspectiveFlipMatrix(fixture.width, fixture.height, c);
    m.forEach((v, i) => expect(Math.abs(v - c.matrix[i])).toBeLessThanOrEqual(Math.abs(c.matrix[i]) * 1e-13 + 1e-15));
  });

  it.each(cases)('%s: every byte equal', async (_name, c) => {
    const input = await readImageFile(path.join(dir, fixture.input));
    const expected = await readImageFile(path.join(dir, c.output));
    const out = flipPerspective(input, c, c.border);
    const differing = out.data.reduce((n, v, i) => n + (v === expected.data[i] ? 0 : 1), 0);
    expect(differing).toBe(0);
  });

  it('is the identity at theta = phi = gamma = 0 up to the scale fv gives (a zoom about the centre)', () => {
    const w = 96;
    const h = 64;
    // A dot right of the centre stays on the horizontal through the centre; Deforum's default fv 53 zooms out a little.
    const img = dots(w, h, [[70, 32], [71, 32], [70, 33], [71, 33]]);
    const [x, y] = centroid(flipPerspective(img, { theta: 0, phi: 0, gamma: 0, fv: 53 }), 68, 32, 8);
    expect(y).toBeCloseTo(32.5, 0);
    expect(x).toBeLessThan(70.5);
    expect(x).toBeGreaterThan(w / 2);
  });
});
