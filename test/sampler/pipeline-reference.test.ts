import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { StableDiffusion, type GenerateOptions } from '../../src/sampler/pipeline.js';
import { fixtureModel, referenceImage } from './model-fixtures.js';

// tools/fixtures/make_random_sd.py runs A1111's txt2img/img2img with k-diffusion Euler a in torch float32 on the
// same tiny graphs; onnxruntime's float32 kernels differ from torch's only in the last bits.
const expected = JSON.parse(readFileSync(path.join(fixtureModel('sd-diffusers'), 'pipeline-reference.json'), 'utf8')) as { txt2img: number[]; img2img: number[] };
const options: GenerateOptions = { prompt: 'a red circle', negativePrompt: '', width: 64, height: 64, seed: 1, steps: 6, cfg: 7, sampler: 'euler_a' };

function compare(actual: Uint8Array, reference: number[]): { maxDiff: number; equal: number } {
  let maxDiff = 0;
  let equal = 0;
  actual.forEach((v, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(v - reference[i]));
    if (v === reference[i]) equal += 1;
  });
  return { maxDiff, equal: equal / actual.length };
}

let sd: StableDiffusion;
beforeAll(async () => {
  sd = await StableDiffusion.load(fixtureModel('sd-diffusers'), { device: 'cpu' });
});
afterAll(async () => {
  await sd.release();
});

describe('the pipeline against a torch k-diffusion run of A1111', () => {
  it('txt2img, Euler a, seed 1: the same pixels', async () => {
    const { maxDiff, equal } = compare((await sd.generate(options)).data, expected.txt2img);
    expect(maxDiff).toBeLessThanOrEqual(1);
    expect(equal).toBeGreaterThan(0.99);
  });

  it('img2img at strength 0.5 (t_enc 3: 4 steps from sigmas[2]): the same pixels', async () => {
    const { maxDiff, equal } = compare((await sd.generate({ ...options, init: referenceImage(), strength: 0.5 })).data, expected.img2img);
    expect(maxDiff).toBeLessThanOrEqual(1);
    expect(equal).toBeGreaterThan(0.99);
  });
});
