import { describe, expect, it } from 'vitest';
import { constantStates, guidedDenoiser, type ControlInput, type PromptConditioning, type StatesSchedule, type TextStates } from '../../src/sampler/cfg-denoiser.js';
import { DeviceSessions } from '../../src/sampler/devices.js';
import { readModelFolder } from '../../src/sampler/model-folder.js';
import { NoiseSchedule } from '../../src/sampler/sigmas.js';
import { UNet } from '../../src/sampler/unet.js';
import { fixtureModel, maxAbsDiff, referenceSample } from './model-fixtures.js';

const schedule = new NoiseSchedule();

function states(chunks: number, seed: number): TextStates {
  const tokens = 77 * chunks;
  return { data: Float32Array.from({ length: tokens * 8 }, (_, i) => Math.sin(i * 0.37 + seed)), tokens, dim: 8 };
}

async function openUnet(name: string): Promise<UNet> {
  const folder = readModelFolder(fixtureModel(name));
  return UNet.open(folder.unet, new DeviceSessions('cpu'), folder.root, folder.unetConfig);
}

/** Runs the guided denoiser once and records every UNet call through the ControlNet hook. */
async function denoiseOnce(unet: UNet, cond: PromptConditioning, uncond: TextStates, cfg: number, prediction: 'epsilon' | 'v_prediction' = 'epsilon') {
  return denoiseCalls(unet, cond, constantStates(uncond), cfg, prediction, 1);
}

async function denoiseCalls(unet: UNet, cond: PromptConditioning, uncond: StatesSchedule, cfg: number, prediction: 'epsilon' | 'v_prediction', times: number) {
  const calls: ControlInput[] = [];
  const denoiser = guidedDenoiser({
    unet, cond, uncond, cfg, prediction, latentHeight: 8, latentWidth: 8,
    sigmaToT: (s) => schedule.sigmaToT(s), totalSteps: 10,
    control: (input) => void calls.push(input),
  });
  let denoised = new Float32Array();
  for (let i = 0; i < times; i++) denoised = await denoiser(referenceSample(), 7, 3);
  return { denoised, calls };
}

/** What one row alone gives: x − σ·eps for eps models. */
async function rowDenoised(unet: UNet, s: TextStates, sigma: number): Promise<Float32Array> {
  const x = referenceSample();
  const cIn = 1 / Math.sqrt(sigma * sigma + 1);
  const eps = await unet.predict(x.map((v) => v * cIn), 1, 8, 8, schedule.sigmaToT(sigma), unet.contextTensor(s.data, 1, s.tokens));
  return x.map((v, i) => v - sigma * eps[i]);
}

describe('CFG batching', () => {
  it('cond and uncond of equal length go in one batched call', async () => {
    const unet = await openUnet('sd-diffusers');
    const { calls } = await denoiseOnce(unet, { parts: [{ schedule: constantStates(states(1, 1)), weight: 1 }] }, states(1, 2), 7);
    expect(calls.map((c) => c.rows)).toEqual([['cond', 'uncond']]);
    expect(calls[0]).toMatchObject({ step: 3, totalSteps: 10, tokens: 77, sigma: 7 });
    expect(calls[0].timestep).toBeCloseTo(schedule.sigmaToT(7), 6);
    expect(calls[0].residualShapes).toEqual({});
    await unet.release();
  });

  it('different lengths go in separate calls, as A1111 by default', async () => {
    const unet = await openUnet('sd-diffusers');
    const { calls } = await denoiseOnce(unet, { parts: [{ schedule: constantStates(states(2, 1)), weight: 1 }] }, states(1, 2), 7);
    expect(calls.map((c) => [c.rows, c.tokens])).toEqual([[['cond'], 154], [['uncond'], 77]]);
    await unet.release();
  });

  it('a UNet with a fixed batch of 1 gets one call per row', async () => {
    const unet = await openUnet('sd-fixed-batch');
    const { calls } = await denoiseOnce(unet, { parts: [{ schedule: constantStates(states(1, 1)), weight: 1 }] }, states(1, 2), 7);
    expect(calls.map((c) => c.rows)).toEqual([['cond'], ['uncond']]);
    await unet.release();
  });

  it('AND sub-prompts of different lengths are padded with their last vector into one call, as A1111', async () => {
    const unet = await openUnet('sd-diffusers');
    const [short, long] = [states(1, 1), states(2, 3)];
    const { calls } = await denoiseOnce(unet, { parts: [{ schedule: constantStates(short), weight: 1 }, { schedule: constantStates(long), weight: 1 }] }, states(2, 2), 7);
    expect(calls.map((c) => [c.rows, c.tokens])).toEqual([[['cond', 'cond', 'uncond'], 154]]);
    const padded = calls[0].context.subarray(0, 154 * 8);
    expect(Array.from(padded.subarray(0, 77 * 8))).toEqual(Array.from(short.data));
    for (let t = 77; t < 154; t++) expect(Array.from(padded.subarray(t * 8, t * 8 + 8))).toEqual(Array.from(short.data.subarray(76 * 8)));
    await unet.release();
  });

  it('AND sub-prompts are rows of the same call', async () => {
    const unet = await openUnet('sd-optimum');
    const { calls } = await denoiseOnce(unet, { parts: [{ schedule: constantStates(states(1, 1)), weight: 1 }, { schedule: constantStates(states(1, 3)), weight: 0.5 }] }, states(1, 2), 7);
    expect(calls.map((c) => c.rows)).toEqual([['cond', 'cond', 'uncond']]);
    expect(calls[0].residualShapes).toEqual({ down_block_0: [3, 8, 8, 8], down_block_1: [3, 8, 4, 4], mid_block_additional_residual: [3, 8, 4, 4] });
    await unet.release();
  });
});

describe('prompt editing schedules', () => {
  it('switch text states by the denoiser call counter, as A1111 reconstruct_cond_batch', async () => {
    const unet = await openUnet('sd-diffusers');
    const cond: PromptConditioning = { parts: [{ schedule: [{ endStep: 1, states: states(1, 1) }, { endStep: 2, states: states(2, 4) }], weight: 1 }] };
    const { calls } = await denoiseCalls(unet, cond, constantStates(states(1, 2)), 7, 'epsilon', 4);
    // calls 0 and 1: the first entry, batched with uncond; call 2: the 2-chunk entry, alone; call 3: past the end → first entry
    expect(calls.map((c) => (c.rows.length === 2 ? 'batched' : c.tokens))).toEqual(['batched', 'batched', 154, 77, 'batched']);
    await unet.release();
  });
});

describe('CFG combination', () => {
  it('is uncond + Σ w·cfg·(cond_i − uncond) on the denoised estimates', async () => {
    const unet = await openUnet('sd-diffusers');
    const [a, b, u] = [states(1, 1), states(1, 3), states(1, 2)];
    const { denoised } = await denoiseOnce(unet, { parts: [{ schedule: constantStates(a), weight: 1 }, { schedule: constantStates(b), weight: 0.5 }] }, u, 7);
    const [da, db, du] = await Promise.all([rowDenoised(unet, a, 7), rowDenoised(unet, b, 7), rowDenoised(unet, u, 7)]);
    const expected = du.map((v, i) => v + 7 * (da[i] - v) + 0.5 * 7 * (db[i] - v));
    expect(maxAbsDiff(denoised, expected)).toBeLessThan(1e-4);
    await unet.release();
  });

  it('cfg 1 with one prompt gives the conditional estimate', async () => {
    const unet = await openUnet('sd-diffusers');
    const [a, u] = [states(1, 1), states(1, 2)];
    const { denoised } = await denoiseOnce(unet, { parts: [{ schedule: constantStates(a), weight: 1 }] }, u, 1);
    expect(maxAbsDiff(denoised, await rowDenoised(unet, a, 7))).toBeLessThan(1e-5);
    await unet.release();
  });

  it('v-prediction uses c_skip and c_out of the v denoiser', async () => {
    const unet = await openUnet('sd-vpred');
    const a = states(1, 1);
    const { denoised } = await denoiseOnce(unet, { parts: [{ schedule: constantStates(a), weight: 1 }] }, a, 1, 'v_prediction');
    const x = referenceSample();
    const sigma = 7;
    const root = Math.sqrt(sigma * sigma + 1);
    const v = await unet.predict(x.map((e) => e / root), 1, 8, 8, schedule.sigmaToT(sigma), unet.contextTensor(a.data, 1, 77));
    const expected = x.map((e, i) => v[i] * (-sigma / root) + e / (sigma * sigma + 1));
    expect(maxAbsDiff(denoised, expected)).toBeLessThan(1e-5);
    await unet.release();
  });
});
