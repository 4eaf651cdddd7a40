import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnimationSchema, type AnimationInput } from '../../src/keyframes/schema.js';
import { validateAnimationText } from '../../src/keyframes/validate.js';
import { derivedSeed } from '../../src/keyframes/seeds.js';
import { loadUnitPoseInputs } from '../../src/controlnet/pose-inputs.js';
import { FrameJobSchema } from '../../src/plan/frame-job.js';
import { planAnimation } from '../../src/plan/plan.js';
import { repoRoot } from '../helpers.js';

const plan = (input: Omit<AnimationInput, 'prompts'> & { prompts?: Record<string, string> }, seed?: number) =>
  planAnimation(AnimationSchema.parse({ prompts: { 0: 'a red circle' }, seed: 10, ...input }), { seed });

describe('planAnimation', () => {
  it('defaults follow Deforum: 120 frames, cadence 2, iter seeds, schedules as the extension ships them', () => {
    const jobs = plan({});
    expect(jobs).toHaveLength(120);
    const [first, second] = jobs;
    expect(first).toMatchObject({
      frame: 0,
      diffused: true,
      source: 'txt2img',
      diffusion: { strength: 0, cfg: 7, steps: 25, sampler: 'euler_a', scheduler: 'automatic', seed: 10 },
      motion: { zoom: 1.0025 + 0.002 * Math.sin(0), border: 'replicate' },
      prepare: { noise: { amount: 0.065 }, contrast: 1, colorCoherence: 'lab' },
    });
    expect(second).toMatchObject({ frame: 1, diffused: false, source: 'previous-frame', diffusion: { strength: 0.65, seed: 10 } });
    expect(jobs[2]).toMatchObject({ diffused: true, diffusion: { seed: 11 } });
    expect(jobs[1].motion.zoom).toBe(1.0025 + 0.002 * Math.sin((1.25 * 3.14 * 1) / 30));
    for (const job of jobs) expect(FrameJobSchema.parse(job)).toEqual(job);
  });

  it('frame 0 with an init image uses the init strength, clamped; later frames clamp the strength schedule', () => {
    const jobs = plan({ frames: 3, initImage: 'start.png', initStrength: 0.7, schedules: { strength: '0:(1.5), 2:(-1)' } });
    expect(jobs.map((j) => [j.source, j.diffusion.strength])).toEqual([['init-image', 0.7], ['previous-frame', 0.25], ['previous-frame', 0]]);
  });

  it('schedules.noiseMultiplier sets A1111\'s initial_noise_multiplier on img2img frames; absent, no frame carries one', () => {
    const jobs = plan({ frames: 4, diffusionCadence: 1, schedules: { noiseMultiplier: '0: (1.05), 2: (0.9)' } });
    expect(jobs.map((j) => j.diffusion.noiseMultiplier)).toEqual([undefined, 1.05 - 0.075, 0.9, 0.9]);
    expect(jobs[0].diffusion).not.toHaveProperty('noiseMultiplier');
    for (const job of jobs) expect(FrameJobSchema.parse(job)).toEqual(job);
    expect(plan({ frames: 3, initImage: 'start.png', schedules: { noiseMultiplier: '0: (1.05)' } }).map((j) => j.diffusion.noiseMultiplier)).toEqual([1.05, 1.05, 1.05]);
    expect(plan({ frames: 3 }).some((j) => 'noiseMultiplier' in j)).toBe(false);
    expect(() => plan({ frames: 3, schedules: { noiseMultiplier: '0: (1.05 +)' } })).toThrow(/schedules\.noiseMultiplier/);
  });

  it('seeds count diffused frames only when cadence > 1', () => {
    const jobs = plan({ frames: 9, diffusionCadence: 3, seedBehavior: 'iter' });
    expect(jobs.map((j) => j.diffusion.seed)).toEqual([10, 10, 10, 11, 11, 11, 12, 12, 12]);
    expect(jobs.map((j) => j.diffused)).toEqual([true, false, false, true, false, false, true, false, false]);
    expect(plan({ frames: 6, diffusionCadence: 2, seedBehavior: 'ladder' }).map((j) => j.diffusion.seed)).toEqual([10, 10, 12, 12, 11, 11]);
    expect(plan({ frames: 4, diffusionCadence: 2, seedBehavior: 'random' }).map((j) => j.diffusion.seed)).toEqual([10, 10, derivedSeed(10, 'random', 1), derivedSeed(10, 'random', 1)]);
  });

  it("seedBehavior schedule reads int(seed schedule) at the frame; Deforum's default gives S, random, …, S, S", () => {
    const jobs = plan({ frames: 6, diffusionCadence: 1, seedBehavior: 'schedule' });
    expect(jobs.map((j) => j.diffusion.seed)).toEqual([10, derivedSeed(10, 'schedule', 1), derivedSeed(10, 'schedule', 2), derivedSeed(10, 'schedule', 3), 10, 10]);
    expect(plan({ frames: 3, diffusionCadence: 1, seedBehavior: 'schedule', schedules: { seed: '0:(5), 2:(8)' } }).map((j) => j.diffusion.seed)).toEqual([5, 6, 8]);
  });

  it('a file seed of -1 needs the resolved run seed; s in expressions is that seed', () => {
    const animation = AnimationSchema.parse({ prompts: { 0: 'a' }, frames: 2, diffusionCadence: 1, schedules: { cfg: '0:(s)' } });
    expect(() => planAnimation(animation)).toThrow(/seed is -1/);
    expect(planAnimation(animation, { seed: 77 }).map((j) => [j.diffusion.seed, j.diffusion.cfg])).toEqual([[77, 77], [78, 77]]);
  });

  it('steps: a steps schedule is truncated; otherwise the top-level steps', () => {
    expect(plan({ frames: 3, steps: 12 }).map((j) => j.diffusion.steps)).toEqual([12, 12, 12]);
    expect(plan({ frames: 3, schedules: { steps: '0:(10), 2:(13)' } }).map((j) => j.diffusion.steps)).toEqual([10, 11, 13]);
  });

  it('samplers: A1111 display names and a sampler schedule resolve to canonical names', () => {
    expect(plan({ frames: 1, sampler: 'DPM++ 2M Karras' })[0].diffusion).toMatchObject({ sampler: 'dpmpp_2m', scheduler: 'karras' });
    const jobs = plan({ frames: 3, schedules: { sampler: '0:("Euler a"), 2:("LMS")' } });
    expect(jobs.map((j) => j.diffusion.sampler)).toEqual(['euler_a', 'euler_a', 'lms']);
    expect(() => plan({ frames: 1, sampler: 'Euler b' })).toThrow(/unknown sampler 'Euler b' \(valid: euler, euler_a/);
  });

  it('records the extra network tags of the positive prompts, and nothing when there are none', () => {
    const jobs = plan({ frames: 3, promptInterpolation: true, prompts: { 0: '<lora:ink:0.8> a cat --neg <lora:bad:1> blur', 2: 'a dog <hypernet:sketch:0.5>' } });
    expect(jobs[1].diffusion.extraNetworks).toEqual([
      { kind: 'lora', name: 'ink', weights: [0.8, 0.8], tag: '<lora:ink:0.8>' },
      { kind: 'hypernet', name: 'sketch', weights: [0.5], tag: '<hypernet:sketch:0.5>' },
    ]);
    expect(jobs[2].diffusion.extraNetworks).toEqual([{ kind: 'hypernet', name: 'sketch', weights: [0.5], tag: '<hypernet:sketch:0.5>' }]);
    expect(plan({ frames: 1 })[0].diffusion).not.toHaveProperty('extraNetworks');
  });

  it('promptInterpolation puts the blend in the FrameJob', () => {
    const jobs = plan({ frames: 5, promptInterpolation: true, prompts: { 0: 'a', 4: 'b --neg c' } });
    expect(jobs[2].diffusion.promptBlend).toEqual({ next: { positive: 'b', negative: 'c' }, weight: 0.5 });
    expect(jobs[4].diffusion.promptBlend).toBeUndefined();
  });

  it('is deterministic', () => {
    const input = { frames: 20, seedBehavior: 'random' as const, schedules: { angle: '0:(sin(t)*s)' } };
    expect(plan(input)).toEqual(plan(input));
  });
});

describe('schedules/ example files', () => {
  const dir = path.join(repoRoot, 'schedules');
  const files = [...readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'keyframes.schema.json'), ...readdirSync(path.join(dir, 'imported')).filter((f) => f.endsWith('.json')).map((f) => `imported/${f}`)];

  it('include the classic zoom, the eased one, the demo and an imported one', () => {
    expect(files).toEqual(expect.arrayContaining(['classic-zoom.json', 'eased.json', 'demo.json']));
    expect(files.some((f) => f.startsWith('imported/'))).toBe(true);
  });

  it.each(files)('%s validates and plans one FrameJob per frame', async (file) => {
    const { animation, problems } = validateAnimationText(readFileSync(path.join(dir, file), 'utf8'));
    expect(problems).toEqual([]);
    const poses = await loadUnitPoseInputs(animation!.controlnet, { baseDir: path.dirname(path.join(dir, file)), frames: animation!.frames });
    const jobs = planAnimation(animation!, { seed: animation!.seed >= 0 ? undefined : 1, poses });
    expect(jobs).toHaveLength(animation!.frames);
    for (const job of jobs) FrameJobSchema.parse(job);
  });

  it('demo.json is the small bundled-model animation npm start renders', () => {
    const { animation } = validateAnimationText(readFileSync(path.join(dir, 'demo.json'), 'utf8'));
    expect(animation).toMatchObject({ width: 128, height: 128, fps: 12, model: 'tiny-sd' });
    expect(animation!.frames).toBeGreaterThanOrEqual(24);
    expect(animation!.frames).toBeLessThanOrEqual(36);
  });
});

describe('planAnimation input', () => {
  it('takes a file as written (defaults filled) as well as a parsed Animation', () => {
    expect(planAnimation({ prompts: { 0: 'a' }, frames: 2, seed: 3 }).map((j) => j.diffusion.seed)).toEqual([3, 3]);
    expect(() => planAnimation({ prompts: { 0: 'a' }, frames: 0, seed: 3 })).toThrow(/^frames: expected a number at least 1, got 0$/);
    expect(() => planAnimation({ prompts: { 0: 'a' }, frames: 2, seed: 3, schedules: { zoom: { 0: null } } } as unknown as AnimationInput)).toThrow(
      /^schedules\.zoom: expected a schedule string/,
    );
  });

  it('holds every frame to the schema\'s limits, as validate words them (steps 1–1000, an odd anti-blur kernel 1–99)', () => {
    expect(() => plan({ frames: 3, schedules: { steps: '0:(20), 2:(0)' } })).toThrow(/^schedules\.steps: frame 2 is 0, expected at least 1$/);
    expect(() => plan({ frames: 3, schedules: { steps: '0:(20), 1:(1000000)' } })).toThrow(/^schedules\.steps: frame 1 is 1000000, expected at most 1000$/);
    expect(() => plan({ frames: 5, schedules: { antiBlurKernel: '0:(5), 4:(9)' } })).toThrow(/^schedules\.antiBlurKernel: frame 1 is 6, expected an odd number/);
    expect(() => plan({ frames: 2, schedules: { antiBlurKernel: '0:(1000000001)' } })).toThrow(/^schedules\.antiBlurKernel: frame 0 is 1000000001, expected at most 99$/);
  });
});

describe('seed schedule', () => {
  it('is only read (and checked) with seedBehavior "schedule"', () => {
    expect(plan({ frames: 2, seedBehavior: 'fixed', schedules: { seed: '0:(foo)' } }).map((j) => j.diffusion.seed)).toEqual([10, 10]);
    expect(() => plan({ frames: 2, seedBehavior: 'schedule', schedules: { seed: '0:(foo)' } })).toThrow(/schedules\.seed: position 3: value of key 0: unknown name 'foo'/);
  });
});

describe('frame rate', () => {
  it('fps and output.fps are one setting: either fills both, default 15, a conflict is an error', () => {
    expect(AnimationSchema.parse({ prompts: { 0: 'a' } })).toMatchObject({ fps: 15, output: { fps: 15 } });
    expect(AnimationSchema.parse({ prompts: { 0: 'a' }, output: { fps: 24 } })).toMatchObject({ fps: 24, output: { fps: 24 } });
    expect(AnimationSchema.parse({ prompts: { 0: 'a' }, fps: 12 })).toMatchObject({ fps: 12, output: { fps: 12 } });
    const { problems } = validateAnimationText('{"prompts": {"0": "a"}, "fps": 12, "output": {"fps": 24}}');
    expect(problems.map((p) => `${p.line}:${p.column}: ${p.path}: ${p.message}`)).toEqual(['1:54: output.fps: 24 differs from the top-level fps 12; give the frame rate once']);
  });
});
