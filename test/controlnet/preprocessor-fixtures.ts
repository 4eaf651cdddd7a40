/** The references tools/fixtures/controlnet_preprocessors.py made with OpenCV 4.6 (test/fixtures/canny/cases.json). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Mat8 } from '../../src/controlnet/cv-mat.js';
import type { ResizeMode } from '../../src/controlnet/modes.js';
import type { Preprocessor } from '../../src/controlnet/preprocessor-spec.js';
import { readImageFile } from '../../src/image-file.js';
import { repoRoot } from '../helpers.js';

export const fixtures = path.join(repoRoot, 'test', 'fixtures', 'canny');

export interface Cases {
  inputs: Array<{ name: string; file: string; width: number; height: number }>;
  canny: Array<{ input: string; resolution: number; low: number; high: number; map: string; width: number; height: number }>;
  tile: Array<{ input: string; rate: number; width: number; height: number; sha256: string }>;
  fit: Array<{ input: string; module: Preprocessor; mode: ResizeMode; width: number; height: number; sha256: string }>;
  resize: Array<{ input: string; channels: 1 | 3; interpolation: 'nearest' | 'linear' | 'cubic' | 'area'; width: number; height: number; sha256: string }>;
  cvCanny: Array<{ input: string; low: number; high: number; sha256: string }>;
}

export const cases = JSON.parse(readFileSync(path.join(fixtures, 'cases.json'), 'utf8')) as Cases;

const inputs = new Map<string, Promise<Mat8>>();
/** An input as Deforum reads a ControlNet frame (PIL `convert("RGB")`). */
export const input = (name: string): Promise<Mat8> => {
  const file = cases.inputs.find((i) => i.name === name)?.file as string;
  if (!inputs.has(name)) inputs.set(name, readImageFile(path.join(fixtures, file), undefined, 'drop'));
  return inputs.get(name) as Promise<Mat8>;
};

/** One channel of a reference map (1-bit PNG → 0/255). */
export async function referenceMap(file: string): Promise<Mat8> {
  const { data, info } = await sharp(path.join(fixtures, file)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 1, data: new Uint8Array(data) };
}

export const sha256 = (image: Mat8) => createHash('sha256').update(image.data).digest('hex');

/** The green channel alone, as the fixtures' one-channel resize cases take it. */
export function green(image: Mat8): Mat8 {
  const data = new Uint8Array(image.width * image.height);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i * image.channels + 1];
  return { width: image.width, height: image.height, channels: 1, data };
}
