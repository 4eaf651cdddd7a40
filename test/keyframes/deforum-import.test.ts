import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDeforumSettings, unmergePrompt } from '../../src/keyframes/deforum-import.js';
import { buildPromptSchedule } from '../../src/keyframes/prompts.js';
import { AnimationSchema } from '../../src/keyframes/schema.js';
import { repoRoot } from '../helpers.js';

const settingsFile = path.join(repoRoot, 'schedules/imported/deforum_20240312180455_settings.txt');
const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;

describe('unmergePrompt undoes the global merge of a saved settings file (docs/deforum.md §b round trip)', () => {
  it.each([
    [' tiny cute swamp bunny, highly detailed --neg nsfw, nude', '', 'nsfw, nude', 'tiny cute swamp bunny, highly detailed'],
    [' a beautiful coconut --neg photo, realistic  nsfw, nude', '', 'nsfw, nude', 'a beautiful coconut --neg photo, realistic'],
    ['masterpiece a cat --neg ugly', 'masterpiece', 'ugly', 'a cat'],
    ['a prompt that was never merged', 'x', 'y', 'a prompt that was never merged'],
  ])('%j', (merged, positive, negative, expected) => {
    expect(unmergePrompt(merged, positive, negative)).toBe(expected);
  });

  it('merging again at render time gives the prompt Deforum rendered, with the negative once', () => {
    const prompts = { 0: ' a cat --neg nsfw', 5: ' a dog --neg photo  nsfw' };
    const unmerged = Object.fromEntries(Object.entries(prompts).map(([k, v]) => [k, unmergePrompt(v, '', 'nsfw')]));
    const schedule = buildPromptSchedule({ prompts: unmerged, positivePrompt: '', negativePrompt: 'nsfw', promptInterpolation: false }, { frames: 10, seed: 0 });
    expect(schedule(0).prompt).toEqual({ positive: 'a cat', negative: 'nsfw' });
    expect(schedule(5).prompt).toEqual({ positive: 'a dog', negative: 'photo  nsfw' });
  });
});

describe('importDeforumSettings', () => {
  const { animation, notCarried } = importDeforumSettings(settings, 'imported');

  it('carries size, frames, fps, sampler, steps, seed behaviour, prompts and schedules', () => {
    expect(animation).toMatchObject({
      name: 'imported',
      width: 128,
      height: 128,
      frames: 48,
      fps: 12,
      sampler: 'dpmpp_2m_karras',
      steps: 18,
      seed: 2024,
      seedBehavior: 'ladder',
      seedIterN: 1,
      negativePrompt: 'blurry, black',
      diffusionCadence: 2,
      colorCoherence: 'lab',
      borderMode: 'replicate',
    });
    expect(animation.prompts).toEqual({
      0: 'a small orange triangle on a green background',
      12: 'a large orange triangle on a green background',
      24: 'an orange star on a blue background --neg white',
      36: 'a yellow star on the right on a blue background',
    });
    expect(animation.schedules).toMatchObject({ cfg: '0: (7)', strength: '0: (0.65), 24: (0.5), 30: (0.65)', angle: '0: (0), 24: (2), 47: (0)', translationX: '0: (0), 24: (1.5)', noise: '0: (0.04)', noiseMultiplier: '0: (1.05)' });
    expect(AnimationSchema.safeParse(animation).success).toBe(true);
  });

  it('lists what it cannot carry, and leaves out switched-off features', () => {
    expect(notCarried).toEqual([expect.stringMatching(/^sd_model_name /)]);
    expect(notCarried.some((f) => /^(noise_type|perlin_|amount_schedule|kernel_schedule)/.test(f))).toBe(false);
    expect(notCarried.some((f) => /^(cn_|hybrid_|perspective_flip_|translation_z|video_init_path)/.test(f))).toBe(false);
  });

  it('reports unknown samplers and colour modes it lacks', () => {
    const r = importDeforumSettings({ ...settings, sampler: 'DPM fast', color_coherence: 'Video Input' });
    expect(r.notCarried).toEqual(expect.arrayContaining(['sampler "DPM fast" (not available; using euler_a)', 'color_coherence "Video Input" (not available; using LAB)']));
  });

  it.each([
    ['3D', /^animation_mode "3D": 3D mode \(the depth-warped camera of translation_z, rotation_3d_\*, fov\) is not supported yet; imported as 2D/],
    ['Video Input', /^animation_mode "Video Input": Video Input mode .* is not supported yet; imported as 2D it would render a zoom loop/],
    ['Interpolation', /^animation_mode "Interpolation": Interpolation mode is not supported yet/],
  ])('refuses animation_mode %s rather than render it as a different 2D animation', (mode, message) => {
    expect(() => importDeforumSettings({ ...settings, animation_mode: mode, zoom: '0:(0)' })).toThrow(message);
  });

  it('carries the noise multiplier schedule unless its switch is off; a file without the switch has Deforum\'s default, on', () => {
    const multiplier = (switched: Record<string, unknown>) => importDeforumSettings({ prompts: { 0: 'a cat' }, noise_multiplier_schedule: '0: (1.2)', ...switched });
    expect(multiplier({ enable_noise_multiplier_scheduling: true }).animation.schedules?.noiseMultiplier).toBe('0: (1.2)');
    expect(multiplier({}).animation.schedules?.noiseMultiplier).toBe('0: (1.2)');
    const off = multiplier({ enable_noise_multiplier_scheduling: false });
    expect(off.animation.schedules).not.toHaveProperty('noiseMultiplier');
    expect(off.notCarried).toEqual([]);
  });

  it('floors a width or height that is not a multiple of 8, as Deforum does, with a note', () => {
    const r = importDeforumSettings({ prompts: { 0: 'a cat' }, W: 500, H: 333 });
    expect([r.animation.width, r.animation.height]).toEqual([496, 328]);
    expect(r.notes).toEqual(['W 500 → 496 (floored to a multiple of 8, as Deforum does)', 'H 333 → 328 (floored to a multiple of 8, as Deforum does)']);
    expect(r.notCarried).toEqual([]);
    expect(importDeforumSettings({ prompts: { 0: 'a cat' }, W: 512, H: 768 }).notes).toEqual([]);
  });

  it('maps an old file\'s sampler index through A1111\'s list of then, listing the ones this renderer lacks', () => {
    const sampler = (index: unknown) => importDeforumSettings({ prompts: { 0: 'a cat' }, sampler: index });
    expect(sampler(0)).toEqual(expect.objectContaining({ animation: expect.objectContaining({ sampler: 'euler_a' }), notCarried: [], notes: [] }));
    expect(sampler(15).animation.sampler).toBe('dpmpp_2m_karras');
    expect(sampler(17).animation.sampler).toBe('ddim');
    expect(sampler(9)).toEqual(expect.objectContaining({ animation: expect.not.objectContaining({ sampler: expect.anything() }), notCarried: ['sampler 9 (A1111\'s "DPM fast", not available; using euler_a)'], notes: [] }));
    expect(sampler(10).notCarried).toEqual(['sampler 10 (A1111\'s "DPM adaptive", not available; using euler_a)']);
    expect(sampler(18).notCarried).toEqual(['sampler 18 (not available; using euler_a)']);
  });

  it('carries the init image and its strength only when use_init is on, and a seed schedule for behaviour schedule', () => {
    const r = importDeforumSettings({ ...settings, use_init: true, init_image: 'start.png', strength: 0.55, seed_behavior: 'schedule', seed_schedule: '0:(5), 10:(6)' });
    expect(r.animation).toMatchObject({ initImage: 'start.png', initStrength: 0.55, seedBehavior: 'schedule' });
    expect(r.animation.schedules?.seed).toBe('0:(5), 10:(6)');
    expect(importDeforumSettings({ ...settings, init_image: 'start.png' }).animation.initImage).toBeUndefined();
  });

  it('accepts prompts as a JSON string (the UI field) and the animation_prompts_* names', () => {
    const r = importDeforumSettings({ animation_prompts: '{"0": "a cat"}', animation_prompts_positive: 'best', animation_prompts_negative: 'ugly' });
    expect(r.animation).toMatchObject({ prompts: { 0: 'a cat' }, positivePrompt: 'best', negativePrompt: 'ugly' });
    expect(() => importDeforumSettings({ prompts: '{"0": "a cat",}' })).toThrow(/prompts: not valid JSON/);
  });

  it('the committed conversion is what the importer makes', () => {
    const committed = JSON.parse(readFileSync(path.join(repoRoot, 'schedules/imported/deforum_20240312180455.json'), 'utf8'));
    expect(committed).toEqual(importDeforumSettings(settings, 'deforum_20240312180455').animation);
  });
});

describe('hostile settings files (issue 13)', () => {
  const deep = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;

  it('a value nested 100,000 deep is listed as one short line, not serialised', () => {
    const { notCarried } = importDeforumSettings({ prompts: { 0: 'a cat' }, extra: deep(100_000), nested: { a: { b: 1 } } });
    expect(notCarried).toEqual(['extra [1 item]', 'nested {1 field}']);
  });

  it('a numeric field that is not a number is listed, whatever its depth', () => {
    const { animation, notCarried } = importDeforumSettings({ prompts: { 0: 'a cat' }, fps: deep(100_000), W: 'wide', steps: '25' });
    expect(animation).not.toHaveProperty('fps');
    expect(animation).not.toHaveProperty('width');
    expect(animation.steps).toBe(25);
    expect(notCarried).toEqual(['fps [1 item] (not a number)', 'W "wide" (not a number)']);
  });

  it('a prompt that is not text is an error naming its key', () => {
    expect(() => importDeforumSettings({ prompts: { 0: 'a cat', 30: deep(100_000) } })).toThrow(/^prompts\["30"\]: expected a prompt string, got \[1 item\]$/);
    expect(() => importDeforumSettings({ prompts: { 0: { text: 'a cat' } } })).toThrow(/^prompts\["0"\]: expected a prompt string, got \{1 field\}$/);
  });

  it('long names and values are clipped to one readable line', () => {
    const { notCarried } = importDeforumSettings({ prompts: { 0: 'a cat' }, ['k'.repeat(1000)]: 'v'.repeat(100_000), sampler: 's'.repeat(100_000) });
    expect(notCarried.every((line) => line.length < 200)).toBe(true);
    expect(notCarried).toHaveLength(2);
  });
});
