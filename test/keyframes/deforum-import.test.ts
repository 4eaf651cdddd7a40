import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDeforumSettings, settingsFieldOf, unmergePrompt } from '../../src/keyframes/deforum-import.js';
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
    ['Video Input', /^animation_mode "Video Input": Video Input mode .* is not supported yet; imported as 2D it would render a zoom loop/],
    ['Interpolation', /^animation_mode "Interpolation": Interpolation mode is not supported yet/],
  ])('refuses animation_mode %s rather than render it as a different 2D animation', (mode, message) => {
    expect(() => importDeforumSettings({ ...settings, animation_mode: mode, zoom: '0:(0)' })).toThrow(message);
  });

  it('carries a 3D file\'s camera and leaves out zoom, angle and the transform centre, which Deforum ignores in 3D', () => {
    const r = importDeforumSettings({
      ...settings, animation_mode: '3D', zoom: '0:(0)', angle: '0:(3)', transform_center_x: '0:(0.2)', translation_z: '0:(2)', rotation_3d_y: '0:(0.5)',
      fov_schedule: '0:(-70)', use_depth_warping: true, depth_algorithm: 'Zoe', padding_mode: 'reflection', sampling_mode: 'bilinear', save_depth_maps: true,
      enable_perspective_flip: true, perspective_flip_phi: '0:(5)',
    });
    expect(r.animation).toMatchObject({
      animationMode: '3D', depth: { warping: true, algorithm: 'Zoe' }, paddingMode: 'reflection', samplingMode: 'bilinear', saveDepthMaps: true, enablePerspectiveFlip: true,
      schedules: { translationZ: '0:(2)', rotation3dY: '0:(0.5)', fov: '0:(-70)', perspectiveFlipPhi: '0:(5)' },
    });
    expect(r.animation.schedules).not.toHaveProperty('zoom');
    expect(r.animation.schedules).not.toHaveProperty('angle');
    expect(r.animation.schedules).not.toHaveProperty('transformCenterX');
    expect(r.notes).toContain('depth_algorithm "Zoe": depth from the bundled model tiny-depth with that algorithm\'s normalisation (set depth.model to an ONNX depth model of your own)');
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

describe('settings of every shape, and what is listed (issue 16)', () => {
  const base = { prompts: { 0: 'a cat' } };
  const listed = (settings: Record<string, unknown>) => importDeforumSettings({ ...base, ...settings }).notCarried;

  it('a feature that is off, with all its settings, and false / null / "" values are not listed', () => {
    expect(listed({ hybrid_composite: 'None', hybrid_motion: 'None', hybrid_flow_method: 'RAFT', hybrid_comp_alpha_schedule: '0:(0.5)' })).toEqual([]);
    expect(listed({ hybrid_composite: false, hybrid_motion: 'None', optical_flow_cadence: false, some_old_switch: false, video_path: null, mask: '' })).toEqual([]);
    expect(listed({ r_upscale_video: false, r_upscale_model: 'x4', frame_interpolation_engine: 'None', frame_interpolation_x_amount: 2 })).toEqual([]);
  });

  it('a feature that is on is one line with its mode; an old boolean switch counts as Deforum reads it', () => {
    expect(listed({ hybrid_composite: true, hybrid_motion: 'Perspective', hybrid_flow_method: 'RAFT', hybrid_comp_alpha_schedule: '0:(0.5)' })).toEqual([
      'hybrid video (hybrid_composite "Normal", hybrid_motion "Perspective"): not supported yet; the frames are made without the video',
    ]);
    expect(listed({ hybrid_video_composite: true })).toEqual(['hybrid video (hybrid_composite "Normal"): not supported yet; the frames are made without the video']);
  });

  it('Deforum\'s old colour names are the colours they became; Automatic is the scheduler used, not listed', () => {
    for (const mode of ['LAB', 'RGB', 'HSV']) expect(importDeforumSettings({ ...base, color_coherence: `Match Frame 0 ${mode}` }).animation.colorCoherence).toBe(mode.toLowerCase());
    expect(importDeforumSettings({ ...base, sampler: 'DPM++ 2M', scheduler: 'Automatic' })).toMatchObject({ animation: { sampler: 'dpmpp_2m' }, notCarried: [] });
    expect(importDeforumSettings({ ...base, sampler: 'DPM++ 2M SDE', scheduler: 'Exponential' }).animation.sampler).toBe('dpmpp_2m_sde_exponential');
    expect(importDeforumSettings({ ...base, sampler: 'Euler a', scheduler: 'SGM Uniform' })).toMatchObject({
      animation: { sampler: 'euler_a' },
      notCarried: ['scheduler "SGM Uniform" (not available for Euler a; using its default, Automatic)'],
    });
  });

  it('reads the notebook\'s prompt list beside animation_prompts, width/height and scale, and Replicate\'s "0: a | 5: b"', () => {
    const notebook = importDeforumSettings({ prompts: ['a still image'], animation_prompts: { 0: 'a cat', 5: 'a dog' }, width: 500, height: 320, scale: 9 });
    expect(notebook.animation).toMatchObject({ prompts: { 0: 'a cat', 5: 'a dog' }, width: 496, height: 320, schedules: { cfg: '0: (9)' } });
    expect(notebook.notes).toEqual(['width 500 → 496 (floored to a multiple of 8, as Deforum does)']);
    expect(importDeforumSettings({ animation_prompts: '0: a cat | 5: a (dog:1.2)' }).animation.prompts).toEqual({ 0: 'a cat', 5: 'a (dog:1.2)' });
    expect(importDeforumSettings({ animation_prompts: 'a cat' }).animation.prompts).toEqual({ 0: 'a cat' });
    expect(() => importDeforumSettings({ prompts: ['a still image'] })).toThrow(/^prompts: expected an object \{"0": "a prompt", …\}, got \[1 item\]$/);
    expect(() => importDeforumSettings({ ...base, animation_mode: 'None' })).toThrow(/^animation_mode "None": mode None makes still images/);
  });

  it('says where every carried field came from, for messages that point into the settings file', () => {
    const r = importDeforumSettings({ animation_prompts: { 0: 'a cat' }, width: 64, zoom: '0:(1)', cn_1_enabled: true, cn_1_module: 'none', cn_1_model: 'openpose', cn_1_vid_path: 'p.mp4' });
    expect(settingsFieldOf(r.origins, ['prompts', '0'])).toEqual(['animation_prompts', '0']);
    expect(settingsFieldOf(r.origins, ['width'])).toEqual(['width']);
    expect(settingsFieldOf(r.origins, ['schedules', 'zoom'])).toEqual(['zoom']);
    expect(settingsFieldOf(r.origins, ['controlnet', 0, 'pose', 'video'])).toEqual(['cn_1_vid_path', 'video']);
    expect(settingsFieldOf(r.origins, ['name'])).toEqual([]);
    expect(r.files).toEqual([{ field: ['controlnet', 0, 'pose', 'video'], from: 'cn_1_vid_path', file: 'p.mp4' }]);
  });
});

describe('ControlNet units (issue 16)', () => {
  const unit = (n: number, fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [`cn_${n}_${k}`, v]));
  const openpose = { enabled: true, module: 'none', model: 'control_v11p_sd15_openpose [cab727d4]', vid_path: 'poses.mp4' };
  const imported = (...units: Array<Record<string, unknown>>) => importDeforumSettings(Object.assign({ prompts: { 0: 'a cat' } }, ...units.map((u, i) => unit(i + 1, u))));

  it('carries a pose ControlNet fed pose maps: its schedules (a number as Deforum reads it), modes, and a video or one image', () => {
    const r = imported(
      { ...openpose, weight: 0.7, guidance_start: '0:(0.1)', guidance_end: 0.9, control_mode: 'ControlNet is more important', resize_mode: 'Envelope (Outer Fit)' },
      { ...openpose, vid_path: '"still.PNG"' },
    );
    expect(r.animation.controlnet).toEqual([
      { pose: { video: 'poses.mp4' }, weight: '0:(0.7)', guidanceStart: '0:(0.1)', guidanceEnd: '0:(0.9)', controlMode: 'controlnet', resizeMode: 'outer-fit' },
      { pose: { image: 'still.PNG' }, weight: '0:(1)' },
    ]);
    expect(r.notCarried).toEqual([]);
    expect(r.notes).toEqual([
      'cn_1: model "control_v11p_sd15_openpose [cab727d4]" → the bundled tiny-sd-controlnet-openpose (set controlnet[0].model to its ONNX export)',
      'cn_2: model "control_v11p_sd15_openpose [cab727d4]" → the bundled tiny-sd-controlnet-openpose (set controlnet[1].model to its ONNX export)',
    ]);
  });

  it('one line per unit it cannot carry, saying what it was and why; disabled units and units without a model say nothing', () => {
    const r = imported(
      { ...openpose, loopback_mode: true },
      { ...openpose, vid_path: '' },
      { ...openpose, module: 'openpose_full' },
      { enabled: true, module: 'tile_resample', model: 'control_v11f1e_sd15_tile [a371b31b]', vid_path: 'x'.repeat(100), weight: '0:(0.5)' },
      { enabled: true, module: 'canny', model: 'None', vid_path: 'edges.mp4' },
      { ...openpose, enabled: false },
    );
    expect(r.animation.controlnet).toBeUndefined();
    expect(r.notCarried).toEqual([
      'cn_1: control_v11p_sd15_openpose, weight 0:(1), loopback (loopback, the previous frame as control image, is not supported yet)',
      'cn_2: control_v11p_sd15_openpose, weight 0:(1), no input (without an input Deforum\'s ControlNet reads each frame\'s init image, which is not supported yet)',
      'cn_3: openpose_full, weight 0:(1), input poses.mp4 (pose detection (preprocessor openpose_full) is not supported yet: give pose maps with preprocessor none, or OpenPose JSON keyframes)',
      `cn_4: tile_resample, weight 0:(0.5), input ${'x'.repeat(39)}… (only OpenPose ControlNet units are supported yet)`,
    ]);
  });
});
