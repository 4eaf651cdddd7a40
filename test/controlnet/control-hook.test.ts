import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockScales, controlHook, controlledRows, isGuided, type ControlUnitFrame } from '../../src/controlnet/control-hook.js';
import { ControlNetModel } from '../../src/controlnet/controlnet-model.js';
import { loadOpenPoseJson } from '../../src/controlnet/openpose-json.js';
import { fitPose } from '../../src/controlnet/pose-fit.js';
import { drawPose } from '../../src/controlnet/skeleton.js';
import { ModelError } from '../../src/errors.js';
import type { RawImage } from '../../src/raw-image.js';
import type { ControlInput } from '../../src/sampler/cfg-denoiser.js';
import { DeviceSessions } from '../../src/sampler/devices.js';
import { StableDiffusion, type GenerateOptions } from '../../src/sampler/pipeline.js';
import { repoRoot } from '../helpers.js';

describe('isGuided (A1111: sampling_step/total, stopped when < start or > end; sampling_step lags one step)', () => {
  it.each([
    [0, 10, 0, 1, true],
    [9, 10, 0, 1, true],
    [1, 10, 0, 0, true], // sampling_step is still 0 during the second step
    [2, 10, 0, 0, false],
    [2, 10, 0.2, 1, false],
    [3, 10, 0.2, 1, true],
    [6, 10, 0, 0.5, true],
    [7, 10, 0, 0.5, false],
    [1, 4, 0.3, 0.3, false],
  ])('step %i of %i in [%f, %f] → %s', (step, total, start, end, guided) => {
    expect(isGuided(step, total, start, end)).toBe(guided);
  });
});

describe('blockScales', () => {
  it('balanced: every block gets the weight', () => {
    expect(blockScales(0.7, 'balanced', 12)).toEqual(Array(13).fill(0.7));
  });
  it('prompt and controlnet: weight·0.825^(12−i) for the 12 SD 1.5 input blocks, the weight for the middle', () => {
    for (const mode of ['prompt', 'controlnet'] as const) {
      const scales = blockScales(1, mode, 12);
      expect(scales).toHaveLength(13);
      expect(scales[0]).toBeCloseTo(0.0994, 4); // 0.825^12, "≈ 0.0995" in docs/sd-pipeline.md §6.2
      expect(scales[11]).toBeCloseTo(0.825, 12);
      expect(scales[12]).toBe(1);
      expect(blockScales(2, mode, 2)).toEqual([2 * 0.825 ** 2, 2 * 0.825, 2]);
    }
  });
  it('controlnet mode controls only the prompt rows', () => {
    expect(controlledRows(['cond', 'uncond'], 'controlnet')).toEqual([true, false]);
    expect(controlledRows(['cond', 'uncond'], 'prompt')).toEqual([true, true]);
    expect(controlledRows(['uncond'], 'balanced')).toEqual([true]);
  });
});

const fixtures = path.join(repoRoot, 'test', 'fixtures');
const base: GenerateOptions = { prompt: 'a dancer', negativePrompt: 'blurry', width: 64, height: 64, seed: 3, steps: 10, cfg: 7, sampler: 'euler' };
const bytes = (image: RawImage) => Buffer.from(image.data);

let sd: StableDiffusion;
let controlnet: ControlNetModel;
let pose: RawImage;
beforeAll(async () => {
  sd = await StableDiffusion.load(path.join(fixtures, 'models', 'sd-optimum'), { device: 'cpu' });
  controlnet = await ControlNetModel.open(path.join(fixtures, 'openpose', 'controlnet-random'), new DeviceSessions(sd.device));
  pose = drawPose(fitPose(await loadOpenPoseJson(path.join(fixtures, 'openpose', 'stand-128.json')), 64, 64, 'inner-fit'));
});
afterAll(async () => {
  await Promise.all([sd?.release(), controlnet?.release()]);
});

const unit = (change: Partial<ControlUnitFrame> = {}): ControlUnitFrame => ({
  model: controlnet, image: pose, weight: 1, guidanceStart: 0, guidanceEnd: 1, controlMode: 'balanced', ...change,
});

async function render(units: ControlUnitFrame[]): Promise<{ image: RawImage; runs: number }> {
  const before = controlnet.runs;
  const image = await sd.generate({ ...base, control: controlHook(units) });
  return { image, runs: controlnet.runs - before };
}

describe('controlHook with the ONNX pipeline', () => {
  it('weight 0 gives exactly the frame without ControlNet, without running it', async () => {
    const plain = await sd.generate(base);
    expect(controlHook([unit({ weight: 0 })])).toBeUndefined();
    const off = await render([unit({ weight: 0 })]);
    expect(off.runs).toBe(0);
    expect(bytes(off.image).equals(bytes(plain))).toBe(true);
    const on = await render([unit()]);
    expect(on.runs).toBe(10); // euler: one batched cond+uncond UNet call per step
    expect(bytes(on.image).equals(bytes(plain))).toBe(false);
  });

  it('runs only inside the guidance window, and a window no step reaches changes nothing', async () => {
    expect((await render([unit({ guidanceStart: 0.3, guidanceEnd: 0.6 })])).runs).toBe(4); // steps 4-7 of 10 (sampling_step 3-6)
    expect((await render([unit({ guidanceStart: 0, guidanceEnd: 0.05 })])).runs).toBe(2); // steps 0 and 1 (sampling_step 0)
    const plain = await sd.generate(base);
    const never = await render([unit({ guidanceStart: 0.95, guidanceEnd: 1 })]);
    expect(never.runs).toBe(0);
    expect(bytes(never.image).equals(bytes(plain))).toBe(true);
  });

  it('runs a second-order sampler twice per guided step', async () => {
    const before = controlnet.runs;
    await sd.generate({ ...base, sampler: 'heun', steps: 4, control: controlHook([unit({ guidanceStart: 0.25 })]) });
    expect(controlnet.runs - before).toBe(2 + 1); // steps 2 and 3 of 4 (sampling_step 1, 2); heun's last step has one call
  });
});

describe('controlHook residuals', () => {
  let input: ControlInput;
  beforeAll(() => {
    const rows = ['cond', 'uncond'] as const;
    const sample = Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.sin(i * 0.37));
    const context = Float32Array.from({ length: 2 * 77 * 8 }, (_, i) => Math.cos(i * 0.11) * (i < 77 * 8 ? 1 : -1));
    input = {
      sample, sigma: 3, timestep: 700.5, context, tokens: 77, rows: [...rows], step: 0, totalSteps: 10, latentHeight: 8, latentWidth: 8,
      residualShapes: { down_block_0: [2, 8, 8, 8], down_block_1: [2, 8, 4, 4], mid_block_additional_residual: [2, 8, 4, 4] },
    };
  });
  const call = async (units: ControlUnitFrame[]) => (await controlHook(units)!(input))!;
  const half = (data: Float32Array, row: number) => data.subarray((row * data.length) / 2, ((row + 1) * data.length) / 2);

  it('scales down blocks by 0.825^(N−i) in prompt mode, on both halves', async () => {
    const balanced = await call([unit()]);
    const prompt = await call([unit({ controlMode: 'prompt' })]);
    const scales = [0.825 ** 2, 0.825, 1];
    ['down_block_0', 'down_block_1', 'mid_block_additional_residual'].forEach((name, block) => {
      expect(prompt[name]).toEqual(balanced[name].map((v) => Math.fround(v * scales[block])));
      expect(half(prompt[name], 1).some((v) => v !== 0)).toBe(true);
    });
  });

  it('controlnet mode: soft weights on the prompt rows, zero on the negative rows', async () => {
    const prompt = await call([unit({ controlMode: 'prompt' })]);
    const control = await call([unit({ controlMode: 'controlnet' })]);
    for (const name of Object.keys(prompt)) {
      expect(half(control[name], 0)).toEqual(half(prompt[name], 0));
      expect(half(control[name], 1).every((v) => v === 0)).toBe(true);
    }
  });

  it('gives identical residuals when the pose map row is broadcast inside the graph (after the first call checks it)', async () => {
    const fresh = await ControlNetModel.open(path.join(fixtures, 'openpose', 'controlnet-random'), new DeviceSessions('cpu'));
    try {
      const first = await call([unit({ model: fresh })]);
      const second = await call([unit({ model: fresh })]);
      for (const name of Object.keys(first)) expect(Buffer.from(second[name].buffer).equals(Buffer.from(first[name].buffer))).toBe(true);
      expect(fresh.runs).toBe(2);
    } finally {
      await fresh.release();
    }
  });

  it('sums units', async () => {
    const one = await call([unit()]);
    const two = await call([unit({ weight: 0.5 }), unit({ weight: 0.5 })]);
    expect(two.down_block_0).toEqual(one.down_block_0);
  });

  it('depends on the pose image', async () => {
    const blank = { ...pose, data: new Uint8Array(pose.data.length) };
    expect((await call([unit({ image: blank })])).down_block_0).not.toEqual((await call([unit()])).down_block_0);
  });

  it('rejects a UNet without residual inputs, naming the ControlNet folder', async () => {
    const error = await controlHook([unit()])!({ ...input, residualShapes: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toMatch(/UNet has no ControlNet residual inputs .*controlnet-random/);
  });

  it('rejects a ControlNet whose outputs are not the UNet residual inputs', async () => {
    const shapes = { down_block_0: [2, 8, 8, 8], mid_block_additional_residual: [2, 8, 4, 4] };
    await expect(controlHook([unit()])!({ ...input, residualShapes: shapes })).rejects.toThrow(/controlnet-random: ControlNet outputs down_block_0, down_block_1, mid_block_additional_residual do not match/);
  });
});

describe('ControlNetModel.open', () => {
  it('names a folder without model.onnx', async () => {
    await expect(ControlNetModel.open(path.join(fixtures, 'openpose'), new DeviceSessions('cpu'))).rejects.toThrow(/openpose: no model\.onnx/);
  });
  it('rejects an ONNX graph without residual outputs', async () => {
    const error = await ControlNetModel.open(path.join(fixtures, 'models', 'sd-optimum', 'unet'), new DeviceSessions('cpu')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
  });
});
