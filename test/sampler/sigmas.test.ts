import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { ddimTimesteps, img2imgSteps, karrasSigmas, NoiseSchedule, planSigmas, SD_NOISE_SCHEDULE, spacedSigmas, type SigmaSpacing } from '../../src/sampler/sigmas.js';
import { repoRoot } from '../helpers.js';

interface ScheduleEntry { sigmas: number[]; timesteps: number[] }
interface Img2imgEntry extends ScheduleEntry { steps: number; strength: number; exactSteps: boolean; scheduler: 'automatic' | 'karras'; fullSteps: number; tEnc: number }
interface ModelEntry {
  config: { beta_start: number; beta_end: number; schedule: string; n: number };
  alphasCumprod: number[]; sigmas: number[]; logSigmas: number[];
  sigmaToT: { sigmas: number[]; t: number[] }; tToSigma: { t: number[]; sigmas: number[] };
  schedules: Record<string, ScheduleEntry>; img2img: Img2imgEntry[];
}
const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/kdiffusion-sigmas.json'), 'utf8')) as { models: Record<string, ModelEntry>; ddim: Record<string, number[]> };

const sd1 = new NoiseSchedule();

describe.each(Object.entries(fixture.models))('the %s discrete schedule equals torch float32 exactly', (_name, model) => {
  const schedule = new NoiseSchedule({ num_train_timesteps: model.config.n, beta_start: model.config.beta_start, beta_end: model.config.beta_end, beta_schedule: model.config.schedule });

  it('has the same ᾱ, σ and log σ tables', () => {
    expect(Array.from(schedule.alphasCumprod)).toEqual(model.alphasCumprod);
    expect(Array.from(schedule.sigmas)).toEqual(model.sigmas);
    expect(Array.from(schedule.logSigmas)).toEqual(model.logSigmas);
  });

  it('converts σ to the fractional timestep and back', () => {
    expect(model.sigmaToT.sigmas.map((s) => schedule.sigmaToT(s))).toEqual(model.sigmaToT.t);
    expect(model.tToSigma.t.map((t) => schedule.tToSigma(t))).toEqual(model.tToSigma.sigmas);
  });

  it.each(Object.keys(model.schedules))('makes the %s schedule and its timesteps', (key) => {
    const [spacing, steps] = key.split('/');
    const expected = model.schedules[key];
    const sigmas = spacedSigmas(schedule, spacing === 'automatic' ? 'uniform' : (spacing as SigmaSpacing), Number(steps));
    expect(sigmas).toEqual(expected.sigmas);
    expect(sigmas.slice(0, -1).map((s) => schedule.sigmaToT(s))).toEqual(expected.timesteps);
  });

  it('slices img2img schedules as A1111 for every strength, with and without exact steps', () => {
    for (const entry of model.img2img) {
      const plan = planSigmas({ steps: entry.steps, sampler: 'euler', scheduler: entry.scheduler === 'automatic' ? 'automatic' : 'karras', strength: entry.strength, exactSteps: entry.exactSteps, schedule });
      expect(img2imgSteps(entry.steps, entry.strength, entry.exactSteps)).toEqual({ steps: entry.fullSteps, tEnc: entry.tEnc });
      expect(plan.sigmas).toEqual(entry.sigmas);
      expect(plan.timesteps).toEqual(entry.timesteps);
    }
  });
});

describe('SD 1.x reference values (docs/sd-pipeline.md §3.1)', () => {
  it('has σ_min and σ_max of the SD table', () => {
    expect(sd1.sigmaMin).toBe(0.029167532920837402);
    expect(sd1.sigmaMax).toBe(14.614642143249512);
  });

  it('gives the UNet fractional timesteps', () => {
    expect(sd1.sigmaToT(sd1.sigmaMax)).toBeCloseTo(998.99994, 3);
    expect(sd1.sigmaToT(7.0)).toBeCloseTo(865.747, 3);
    expect(Number.isInteger(sd1.sigmaToT(7.0))).toBe(false);
  });

  it('maps every table σ back to its own integer timestep (what DDIM relies on)', () => {
    sd1.sigmas.forEach((sigma, t) => expect(sd1.sigmaToT(sigma)).toBe(t));
  });

  it('starts Karras at 14.614643096923828, not σ_max, because of float32 pow', () => {
    expect(karrasSigmas(20, sd1.sigmaMin, sd1.sigmaMax)[0]).toBe(14.614643096923828);
  });

  it('refuses a beta schedule it cannot reproduce', () => {
    expect(() => new NoiseSchedule({ ...SD_NOISE_SCHEDULE, beta_schedule: 'squaredcos_cap_v2' })).toThrow(ModelError);
    expect(() => new NoiseSchedule({ ...SD_NOISE_SCHEDULE, beta_schedule: 'squaredcos_cap_v2' })).toThrow(/beta_schedule "squaredcos_cap_v2"/);
  });
});

describe('A1111 img2img steps (docs/sd-pipeline.md §4.1)', () => {
  const full = spacedSigmas(sd1, 'uniform', 20);
  const plan = (strength: number, exactSteps = false) => planSigmas({ steps: 20, sampler: 'euler', scheduler: 'automatic', strength, exactSteps, schedule: sd1 });

  it('runs 11 steps from sigmas[9] at denoise 0.5', () => {
    expect(plan(0.5).sigmas).toEqual(full.slice(9));
    expect(plan(0.5).timesteps).toHaveLength(11);
  });

  it('runs 16 steps from sigmas[4] at denoise 0.75 (Deforum strength 0.25)', () => {
    expect(plan(0.25).sigmas).toEqual(full.slice(4));
  });

  it('runs exactly 20 steps of a 40-step schedule with exact steps at denoise 0.5', () => {
    expect(plan(0.5, true).sigmas).toEqual(spacedSigmas(sd1, 'uniform', 40).slice(20));
    expect(plan(0.5, true).timesteps).toHaveLength(20);
  });

  it('starts at σ_max with the init latent added at strength 0, and runs one step at strength 1', () => {
    expect(plan(0).sigmas).toEqual(full);
    expect(plan(0).start).toEqual({ init: 1, noise: full[0] });
    expect(plan(1).sigmas).toEqual(full.slice(19));
  });

  it('returns the init latent untouched at strength 1 with exact steps', () => {
    expect(plan(1, true)).toMatchObject({ sigmas: [0], timesteps: [], start: { init: 1, noise: 0 } });
  });

  it('plans txt2img from pure noise scaled by the first sigma', () => {
    const txt2img = planSigmas({ steps: 20, sampler: 'euler_a', scheduler: 'automatic', schedule: sd1 });
    expect(txt2img.sigmas).toEqual(full);
    expect(txt2img.start).toEqual({ init: 0, noise: full[0] });
  });

  it('uses Karras for DPM++ 2M when the scheduler is automatic, as A1111 1.9', () => {
    const automatic = planSigmas({ steps: 20, sampler: 'dpmpp_2m', scheduler: 'automatic', schedule: sd1 });
    expect(automatic.sigmas).toEqual(karrasSigmas(20, sd1.sigmaMin, sd1.sigmaMax));
  });

  it('rejects steps below 1 and strengths outside [0, 1]', () => {
    expect(() => planSigmas({ steps: 0, sampler: 'euler', scheduler: 'automatic', schedule: sd1 })).toThrow(/steps/);
    expect(() => plan(1.5)).toThrow(/strength/);
  });
});

describe('DDIM timesteps (docs/sd-pipeline.md §3.4)', () => {
  it.each(Object.entries(fixture.ddim))('matches numpy for %s steps', (steps, expected) => {
    expect(ddimTimesteps(Number(steps))).toEqual(expected);
  });

  it('evaluates 951 … 51 for 20 steps and ends at ᾱ of timestep 1', () => {
    const plan = planSigmas({ steps: 20, sampler: 'ddim', scheduler: 'automatic', schedule: sd1 });
    expect(plan.timesteps).toEqual(Array.from({ length: 19 }, (_, i) => 951 - 50 * i));
    expect(plan.sigmas).toEqual([...plan.timesteps, 1].map((t) => sd1.sigmas[t]));
    expect(plan.start.noise).toBeCloseTo(1 / Math.sqrt(sd1.alphasCumprod[951]), 10);
    expect(plan.finalScale).toBeCloseTo(Math.sqrt(sd1.alphasCumprod[1]), 10);
  });

  it('noises img2img to timesteps[t_enc] but runs timesteps[:t_enc]', () => {
    const plan = planSigmas({ steps: 20, sampler: 'ddim', scheduler: 'automatic', strength: 0.5, schedule: sd1 });
    expect(plan.timesteps).toEqual([451, 401, 351, 301, 251, 201, 151, 101, 51]);
    const a = sd1.alphasCumprod;
    expect(plan.start.init).toBeCloseTo(Math.sqrt(a[501]) / Math.sqrt(a[451]), 12);
    expect(plan.start.noise).toBeCloseTo(Math.sqrt(1 - a[501]) / Math.sqrt(a[451]), 12);
  });
});
