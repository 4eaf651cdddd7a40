import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { DeviceSessions } from '../../src/sampler/devices.js';
import { readModelFolder } from '../../src/sampler/model-folder.js';
import { UNet } from '../../src/sampler/unet.js';
import { fixtureModel, maxAbsDiff, reference, referenceContext, referenceSample } from './model-fixtures.js';

async function openUnet(name: string, warnings: string[] = []): Promise<UNet> {
  const folder = readModelFolder(fixtureModel(name));
  return UNet.open(folder.unet, new DeviceSessions('cpu'), folder.root, folder.unetConfig, { warn: (m) => warnings.push(m) });
}

async function predictReference(unet: UNet, name: string): Promise<number> {
  const ref = reference(name);
  const out = await unet.predict(referenceSample(), 1, 8, 8, ref.unet_timestep, unet.contextTensor(referenceContext(), 1, 77));
  return maxAbsDiff(out, ref.unet_out);
}

describe('UNet exporter conventions', () => {
  it('diffusers: float [batch] timestep receives the fractional t', async () => {
    const unet = await openUnet('sd-diffusers');
    expect(unet.timestepIsInteger).toBe(false);
    expect(unet.fixedBatch).toBeUndefined();
    expect(await predictReference(unet, 'sd-diffusers')).toBeLessThan(1e-6);
    await unet.release();
  });

  it('Optimum ≥ 1.23: float scalar timestep, external model.onnx_data, residual inputs fed zeros', async () => {
    const unet = await openUnet('sd-optimum');
    expect(unet.residualNames).toEqual(['down_block_0', 'down_block_1', 'mid_block_additional_residual']);
    expect(await predictReference(unet, 'sd-optimum')).toBeLessThan(1e-6);
    await unet.release();
  });

  it('int64 timestep: rounds t and warns once that results are not A1111-exact', async () => {
    const warnings: string[] = [];
    const unet = await openUnet('sd-int64-timestep', warnings);
    expect(unet.timestepIsInteger).toBe(true);
    expect(warnings).toEqual([
      'unet/model.onnx takes an int64 timestep: fractional timesteps are rounded, so results are not AUTOMATIC1111-exact (export with a float timestep)',
    ]);
    expect(await predictReference(unet, 'sd-int64-timestep')).toBeLessThan(1e-6);
    await unet.release();
  });

  it('fp16: inputs converted to half, outputs back to float32', async () => {
    const unet = await openUnet('sd-fp16');
    expect(await predictReference(unet, 'sd-fp16')).toBeLessThan(2e-3);
    await unet.release();
  });

  it('refuses a UNet that needs inputs SD 1.x/2.x does not have (SDXL)', async () => {
    const root = path.join(fixtureModel('sd-diffusers'), '..', 'broken', 'sdxl-unet');
    const folder = readModelFolder(root);
    await expect(UNet.open(folder.unet, new DeviceSessions('cpu'), folder.root, folder.unetConfig)).rejects.toThrow(
      'unet/model.onnx: has inputs "text_embeds" that an SD 1.x/2.x UNet does not take (SDXL and other architectures are not supported)',
    );
  });

  it('a fixed batch dimension is reported', async () => {
    const unet = await openUnet('sd-fixed-batch');
    expect(unet.fixedBatch).toBe(1);
    await unet.release();
  });
});

describe('UNet ControlNet residuals', () => {
  it('derives each residual shape from unet/config.json blocks', async () => {
    const unet = await openUnet('sd-optimum');
    expect(unet.residualShapes(2, 8, 8)).toEqual({
      down_block_0: [2, 8, 8, 8],
      down_block_1: [2, 8, 4, 4],
      mid_block_additional_residual: [2, 8, 4, 4],
    });
    expect(unet.residualShapes(1, 9, 12).down_block_1).toEqual([1, 8, 5, 6]);
    await unet.release();
  });

  it('explicit zero residuals equal no ControlNet; non-zero ones change the output', async () => {
    const unet = await openUnet('sd-optimum');
    const context = unet.contextTensor(referenceContext(), 1, 77);
    const shapes = unet.residualShapes(1, 8, 8);
    const filled = (value: number) =>
      Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, new Float32Array(shape.reduce((a, b) => a * b)).fill(value)]));
    const none = await unet.predict(referenceSample(), 1, 8, 8, 500, context);
    const zeros = await unet.predict(referenceSample(), 1, 8, 8, 500, context, filled(0));
    const ones = await unet.predict(referenceSample(), 1, 8, 8, 500, context, filled(1));
    expect(Array.from(zeros)).toEqual(Array.from(none));
    expect(maxAbsDiff(ones, none)).toBeGreaterThan(1e-3);
    await unet.release();
  });

  it('a residual of the wrong size is an error naming the input and shape', async () => {
    const unet = await openUnet('sd-optimum');
    const context = unet.contextTensor(referenceContext(), 1, 77);
    await expect(unet.predict(referenceSample(), 1, 8, 8, 500, context, { down_block_1: new Float32Array(3) })).rejects.toThrow(
      'ControlNet residual "down_block_1" has 3 values; the UNet expects [1, 8, 4, 4]',
    );
    await unet.release();
  });
});
