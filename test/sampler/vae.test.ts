import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { DeviceSessions } from '../../src/sampler/devices.js';
import { readModelFolder, readVaeFolder } from '../../src/sampler/model-folder.js';
import { Vae, imageToModelInput, modelOutputToImage } from '../../src/sampler/vae.js';
import { fixtureModel, maxAbsDiff, reference, referenceImage, referenceSample } from './model-fixtures.js';

async function openVae(name: string): Promise<Vae> {
  const folder = readModelFolder(fixtureModel(name));
  return Vae.open(folder.vae, new DeviceSessions('cpu'), folder.root);
}

describe('modelOutputToImage', () => {
  it('clamps (x+1)/2 and truncates 255·x as A1111 (astype(uint8))', () => {
    const plane = [-1, 0, 1, 2, -3, 0.999];
    const values = new Float32Array([...plane, ...plane, ...plane]);
    const image = modelOutputToImage(values, 6, 1);
    expect(image.channels).toBe(3);
    expect(Array.from(image.data.filter((_, i) => i % 3 === 0))).toEqual([0, 127, 255, 255, 0, 254]);
  });
});

describe('imageToModelInput', () => {
  it('maps 0..255 to -1..1, channel-planar', () => {
    const input = imageToModelInput({ width: 2, height: 1, channels: 3, data: new Uint8Array([0, 255, 51, 255, 0, 51]) });
    expect(Array.from(input)).toEqual([-1, 1, 1, -1, 51 / 255 * 2 - 1, 51 / 255 * 2 - 1].map(Math.fround));
  });

  it('flattens alpha over white, as A1111 does for img2img', () => {
    const input = imageToModelInput({ width: 1, height: 1, channels: 4, data: new Uint8Array([0, 0, 0, 0]) });
    expect(Array.from(input)).toEqual([1, 1, 1]);
  });
});

describe('Vae', () => {
  for (const [name, output] of [['sd-diffusers', 'latent_sample'], ['sd-optimum', 'latent_parameters (mean of mean‖logvar)']]) {
    it(`encodes to the scaled latent (${output})`, async () => {
      const vae = await openVae(name);
      const latent = await vae.encode(referenceImage());
      expect(latent.length).toBe(4 * 8 * 8);
      expect(maxAbsDiff(latent, reference(name).vae_latent)).toBeLessThan(1e-6);
      await vae.release();
    });
  }

  it('decodes to the same bytes as torch + numpy', async () => {
    const vae = await openVae('sd-diffusers');
    const image = await vae.decode(referenceSample(), 64, 64);
    expect(image).toMatchObject({ width: 64, height: 64, channels: 3 });
    expect(Buffer.from(image.data).equals(Buffer.from(reference('sd-diffusers').vae_decoded_rgb))).toBe(true);
    await vae.release();
  });

  it('runs an fp16 VAE through float32 on our side', async () => {
    const vae = await openVae('sd-fp16');
    expect(maxAbsDiff(await vae.encode(referenceImage()), reference('sd-fp16').vae_latent)).toBeLessThan(1e-3);
    const image = await vae.decode(referenceSample(), 64, 64);
    expect(maxAbsDiff(image.data, reference('sd-fp16').vae_decoded_rgb)).toBeLessThanOrEqual(1);
    await vae.release();
  });

  it('a decoder-only VAE cannot encode, and says so', async () => {
    const root = fixtureModel('sd-optimum');
    const vae = await Vae.open(readVaeFolder(path.join(root, 'vae_decoder')), new DeviceSessions('cpu'), root);
    expect(vae.canEncode).toBe(false);
    await expect(vae.encode(referenceImage())).rejects.toThrow('this VAE has no encoder (vae_encoder/model.onnx), which img2img needs');
    await vae.release();
  });

  it('names the tensor a VAE decoder export lacks', async () => {
    const root = path.join(fixtureModel('sd-diffusers'), '..', 'broken', 'renamed-input');
    await expect(Vae.open(readVaeFolder(root), new DeviceSessions('cpu'), root)).rejects.toThrow(
      'vae_decoder/model.onnx: expected input "latent_sample" (float32/float16 [batch, 4, height/8, width/8]); found inputs "latents" (float32 [batch, 4, h, w])',
    );
  });
});
