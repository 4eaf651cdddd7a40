import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SamplerName } from '../../src/sampler/sampler-names.js';
import { TorchGenerator } from '../../src/sampler/noise.js';
import { SAMPLER_TRAITS } from '../../src/sampler/sampler-table.js';
import { lmsCoefficient, restartSteps, sample, samplePlan } from '../../src/sampler/samplers.js';
import { NoiseSchedule, planSigmas, type SigmaPlan } from '../../src/sampler/sigmas.js';
import type { Denoiser, NoiseSampler } from '../../src/sampler/types.js';
import { repoRoot } from '../helpers.js';

interface Trajectory { final: number[]; afterFirstStep: number[] | null; afterMiddleStep: number[] | null; middleStep: number }
interface Case {
  sampler: SamplerName; scheduler: 'automatic' | 'karras' | 'exponential'; steps: number; strength: number | null;
  sigmas?: number[]; timesteps?: number[]; calls: number[]; draws: number; float64: Trajectory; float32: Trajectory;
  /** The (σ, σ_next) of each SDE noise-sampler call; the reference feeds them from the same generator stream. */
  brownian: Array<[number, number]>;
  /** UniPC: the UNet timestep of each call, (t − 1/N)·1000, and the k-diffusion σ at each of its continuous times. */
  modelTimes?: number[];
  levels?: number[];
  /** LCM: the quantised timestep the UNet gets at each level. */
  lcmTimesteps?: number[];
  /** Restart: the (σ, σ_next) of every step it took, restarts included. */
  steps_run?: Array<[number, number]>;
  /** A1111's eta_ancestral and s_noise when not their defaults of 1. */
  options?: { eta?: number; sNoise?: number };
}
const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/kdiffusion-trajectories.json'), 'utf8')) as {
  seed: number; shape: number[]; mu: number[]; s: number[]; init: number[]; cases: Case[];
};
const numel = fixture.mu.length;
const schedule = new NoiseSchedule();

/** The exact denoiser of data ~ N(mu, s²) per element, recording the sigmas it is called at. */
function gaussianDenoiser(calls: number[]): Denoiser {
  return async (x, sigma) => {
    calls.push(sigma);
    return x.map((v, j) => (fixture.s[j] ** 2 * v + sigma ** 2 * fixture.mu[j]) / (fixture.s[j] ** 2 + sigma ** 2));
  };
}

/** Largest difference relative to the largest magnitude of the reference. */
function relativeError(actual: ArrayLike<number>, expected: number[]): number {
  const scale = Math.max(...expected.map(Math.abs));
  let worst = 0;
  for (let j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(actual[j] - expected[j]) / scale);
  return worst;
}

function planFor(c: Case): SigmaPlan {
  return planSigmas({ steps: c.steps, sampler: c.sampler, scheduler: c.scheduler, strength: c.strength ?? undefined, schedule });
}

/** The SDE samplers' noise as the reference feeds it: the next draw of the image's generator, recording the query. */
function streamNoise(generator: TorchGenerator, queries: Array<[number, number]> = []): NoiseSampler {
  return (sigma, next) => {
    queries.push([sigma, next]);
    return generator.randn(numel);
  };
}

/** x after the first k steps: the samplers only look at the schedule up to the step they take. */
async function afterSteps(plan: SigmaPlan, k: number, options: Case['options']): Promise<Float32Array> {
  const generator = new TorchGenerator(fixture.seed);
  const noise = generator.randn(numel);
  const partial = { ...plan, sigmas: plan.sigmas.slice(0, k + 1), finalScale: plan.sampler === 'ddim' ? Math.sqrt(schedule.alphasCumprod[schedule.sigmaToT(plan.sigmas[k])]) : 1 };
  return samplePlan(partial, gaussianDenoiser([]), { noise, init: Float32Array.from(fixture.init) }, { randnLike: () => generator.randn(numel), brownianNoise: streamNoise(generator), ...options });
}

const label = (c: Case) =>
  `${c.sampler} ${c.scheduler} ${c.steps} steps ${c.strength === null ? 'txt2img' : `img2img strength ${c.strength}`}${c.options ? ` ${JSON.stringify(c.options)}` : ''}`;

describe.each(fixture.cases.map((c) => [label(c), c] as const))('%s', (_label, c) => {
  it('plans the schedule the reference ran', () => {
    const plan = planFor(c);
    if (c.sigmas) expect(plan.sigmas).toEqual(c.sigmas);
    if (c.timesteps) expect(plan.timesteps).toEqual([...c.timesteps].reverse().slice(0, -1));
    if (c.modelTimes) expect(plan.timesteps).toEqual(c.modelTimes);
    if (c.lcmTimesteps) expect(plan.timesteps).toEqual(c.lcmTimesteps);
    c.levels?.forEach((sigma, i) => expect(Math.abs(plan.sigmas[i] - sigma) / sigma).toBeLessThan(1e-6));
    if (c.levels) expect(plan.sigmas).toHaveLength(c.levels.length);
    c.steps_run?.flat().forEach((sigma, i) => expect(Math.abs(restartSteps(plan.sigmas).flat()[i] - sigma)).toBeLessThanOrEqual(1e-6 * sigma));
    if (c.steps_run) expect(restartSteps(plan.sigmas)).toHaveLength(c.steps_run.length);
  });

  it('follows the reference trajectory and calls the denoiser and the noise stream as k-diffusion does', async () => {
    const plan = planFor(c);
    const generator = new TorchGenerator(fixture.seed);
    const noise = generator.randn(numel);
    const calls: number[] = [];
    let draws = 0;
    const steps: number[] = [];
    const queries: Array<[number, number]> = [];
    const result = await samplePlan(plan, gaussianDenoiser(calls), { noise, init: Float32Array.from(fixture.init) }, {
      randnLike: () => {
        draws++;
        return generator.randn(numel);
      },
      brownianNoise: streamNoise(generator, queries),
      onStep: (step, total) => steps.push(step, total),
      ...c.options,
    });
    expect(relativeError(result, c.float64.final)).toBeLessThan(1e-6);
    // torch's float32 run carries its own rounding (up to ~9e-7 here), so it gets a little more room.
    expect(relativeError(result, c.float32.final)).toBeLessThan(2e-6);
    expect(draws).toBe(c.draws);
    expect(calls.length).toBe(c.calls.length);
    calls.forEach((sigma, i) => expect(Math.abs(sigma - c.calls[i]) / c.calls[i]).toBeLessThan(1e-6));
    expect(queries.length).toBe(c.brownian.length);
    queries.flat().forEach((sigma, i) => expect(Math.abs(sigma - c.brownian.flat()[i]) / c.brownian.flat()[i]).toBeLessThan(1e-6));
    const total = c.steps_run?.length ?? plan.sigmas.length - 1;
    expect(steps.slice(-2)).toEqual([total, total]);
  });

  // Restart remakes its schedule from the whole of it, and UniPC lowers its order and drops the corrector at the end of
  // it, so for them a cut schedule is another run.
  it.skipIf(c.sampler === 'restart' || c.sampler === 'unipc')('passes through the reference intermediate latents', async () => {
    const plan = planFor(c);
    if (c.float64.afterFirstStep) expect(relativeError(await afterSteps(plan, 1, c.options), c.float64.afterFirstStep)).toBeLessThan(1e-6);
    if (c.float64.afterMiddleStep) expect(relativeError(await afterSteps(plan, c.float64.middleStep, c.options), c.float64.afterMiddleStep)).toBeLessThan(1e-6);
  });
});

describe('DDIM with almost no denoising, as A1111', () => {
  const init = Float32Array.from(fixture.init);
  const noise = new TorchGenerator(5).randn(numel);
  const a = schedule.alphasCumprod;

  it.each([
    [0.96, 1],
    [0.95, 51],
  ])('returns the init latent noised to its timestep without a model call (strength %s: timestep %s)', async (strength, timestep) => {
    const plan = planSigmas({ steps: 20, sampler: 'ddim', scheduler: 'automatic', strength, schedule });
    expect(plan.timesteps).toEqual([]);
    const calls: number[] = [];
    const result = await samplePlan(plan, gaussianDenoiser(calls), { noise, init }, { randnLike: () => noise });
    expect(calls).toEqual([]);
    const expected = Array.from(init, (v, j) => v * Math.sqrt(a[timestep]) + noise[j] * Math.sqrt(1 - a[timestep]));
    expect(relativeError(result, expected)).toBeLessThan(1e-6);
  });
});

describe('sampler registry', () => {
  it('carries A1111 1.9\'s options per sampler (samplers_k_diffusion)', () => {
    const having = (option: 'secondOrder' | 'discardNextToLastSigma' | 'brownianNoise') =>
      Object.entries(SAMPLER_TRAITS).filter(([, s]) => s[option]).map(([name]) => name).sort();
    expect(having('secondOrder')).toEqual(['dpm2', 'dpm2_a', 'dpmpp_2s_a', 'dpmpp_sde', 'heun', 'restart']);
    expect(having('discardNextToLastSigma')).toEqual(['dpm2', 'dpm2_a', 'dpmpp_3m_sde']);
    expect(having('brownianNoise')).toEqual(['dpmpp_2m_sde', 'dpmpp_2m_sde_heun', 'dpmpp_3m_sde', 'dpmpp_sde']);
    expect(Object.entries(SAMPLER_TRAITS).filter(([, s]) => s.defaultScheduler === 'exponential').map(([name]) => name).sort()).toEqual(['dpmpp_2m_sde', 'dpmpp_2m_sde_heun', 'dpmpp_3m_sde']);
    expect(SAMPLER_TRAITS.ddim.kind).toBe('timestep');
  });

  it('integrates LMS coefficients that sum to the step length (they weight derivatives)', () => {
    const sigmas = [14.6, 9.2, 6.1, 3.3, 1.2, 0];
    for (let i = 0; i < sigmas.length - 1; i++) {
      const order = Math.min(i + 1, 4);
      const sum = Array.from({ length: order }, (_, j) => lmsCoefficient(order, sigmas, i, j)).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(sigmas[i + 1] - sigmas[i], 12);
    }
  });

  it('stops between steps when the signal is aborted', async () => {
    const controller = new AbortController();
    const generator = new TorchGenerator(1);
    const run = sample('euler', async (x) => x, new Float32Array(16), [3, 2, 1, 0], {
      randnLike: () => generator.randn(16),
      onStep: (step) => step === 1 && controller.abort(new Error('cancelled')),
      signal: controller.signal,
    });
    await expect(run).rejects.toThrow('cancelled');
  });

  it('does not modify the start latent', async () => {
    const x = Float32Array.from({ length: 16 }, (_, j) => j);
    const generator = new TorchGenerator(1);
    await sample('euler_a', async (v) => v.map((e) => e / 2), x, [3, 1, 0], { randnLike: () => generator.randn(16) });
    expect(Array.from(x)).toEqual(Array.from({ length: 16 }, (_, j) => j));
  });
});

describe('img2img noise multiplier (A1111 initial_noise_multiplier)', () => {
  const init = Float32Array.from(fixture.init);
  const noise = new TorchGenerator(42).randn(numel);

  /** The latent the sampler starts from: the x of the first denoiser call. */
  async function startLatent(plan: SigmaPlan, noiseMultiplier?: number): Promise<Float32Array> {
    const seen: Float32Array[] = [];
    const generator = new TorchGenerator(43);
    await samplePlan(plan, async (x, sigma) => (seen.push(Float32Array.from(x)), gaussianDenoiser([])(x, sigma)), { noise, init, noiseMultiplier }, { randnLike: () => generator.randn(numel) });
    return seen[0];
  }

  it('scales the noise in float32 before it is added at σ₀: x = init + (noise·m)·σ₀, as torch rounds it', async () => {
    const plan = planSigmas({ steps: 20, sampler: 'euler_a', scheduler: 'automatic', strength: 0.45, schedule });
    const sigma0 = plan.sigmas[0];
    const x = await startLatent(plan, 1.05);
    const expected = Float32Array.from(init, (v, j) => v + Math.fround(Math.fround(noise[j] * 1.05) * sigma0));
    expect(Array.from(x)).toEqual(Array.from(expected));
    expect(Array.from(await startLatent(plan, 1))).toEqual(Array.from(await startLatent(plan)));
    expect(Array.from(await startLatent(plan, 1))).toEqual(Array.from(Float32Array.from(init, (v, j) => v + Math.fround(noise[j] * sigma0))));
  });

  it('scales DDIM\'s VP noising the same way (A1111 scales x before any sampler)', async () => {
    const plan = planSigmas({ steps: 10, sampler: 'ddim', scheduler: 'automatic', strength: 0.3, schedule });
    const x = await startLatent(plan, 0.9);
    const expected = Float32Array.from(init, (v, j) => v * plan.start.init + Math.fround(Math.fround(noise[j] * 0.9) * plan.start.noise));
    expect(Array.from(x)).toEqual(Array.from(expected));
  });
});
