/** The tiny random ONNX models of tools/fixtures/make_random_sd.py and the inputs their reference.json was made from. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers.js';

export const fixtureModels = path.join(repoRoot, 'test', 'fixtures', 'models');

export function fixtureModel(name: string): string {
  return path.join(fixtureModels, name);
}

export interface ModelReference {
  text_last: number[];
  text_clip_skip_2: number[];
  unet_timestep: number;
  unet_out: number[];
  vae_latent: number[];
  vae_decoded_rgb: number[];
}

export function reference(name: string): ModelReference {
  return JSON.parse(readFileSync(path.join(fixtureModel(name), 'reference.json'), 'utf8')) as ModelReference;
}

/** Same formulas as `reference_inputs()` in make_random_sd.py. */
export const SAMPLE = 8;
export const DIM = 8;

export function referenceIds(): Int32Array {
  const ids = new Int32Array(77).fill(49407);
  ids.set([49406, 320, 1000, 3086, 4105, 530]);
  return ids;
}

export function referenceSample(): Float32Array {
  return Float32Array.from({ length: 4 * SAMPLE * SAMPLE }, (_, i) => Math.sin(i * 0.1));
}

export function referenceContext(): Float32Array {
  return Float32Array.from({ length: 77 * DIM }, (_, i) => Math.cos(i * 0.05));
}

export function referenceImage(): { width: number; height: number; channels: 3; data: Uint8Array } {
  const size = SAMPLE * 8;
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = (x * 4 + y * 2 + c * 50) % 256;
  }
  return { width: size, height: size, channels: 3, data };
}

/** Largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
