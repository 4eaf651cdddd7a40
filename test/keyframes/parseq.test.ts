import { describe, expect, it } from 'vitest';
import { KeyframeError } from '../../src/errors.js';
import { parseParseqManifest, parseqSeries, parseqSources, withParseqOverrides, type ParseqManifest } from '../../src/keyframes/parseq.js';
import { carriedParseq, isParseqManifest, keyframesOfManifest, pastedParseqManifest } from '../../src/keyframes/parseq-import.js';
import { AnimationSchema, type AnimationInput } from '../../src/keyframes/schema.js';
import { derivedSeed } from '../../src/keyframes/seeds.js';
import { buildAnimationSchedules, planAnimation } from '../../src/plan/plan.js';

type Frame = Record<string, unknown>;
const manifestOf = (frames: Frame[], options: Record<string, unknown> = { output_fps: 20, cadence: 1 }): ParseqManifest =>
  parseParseqManifest(JSON.stringify({ options, rendered_frames: frames }), 'm.json');
const animationOf = (manifest: ParseqManifest, input: Partial<AnimationInput> = {}) =>
  withParseqOverrides(AnimationSchema.parse({ prompts: { 0: 'file prompt' }, seed: 3, parseq: 'm.json', ...input }), manifest);
/** Frames 0 … n−1 with `fields(frame)`. */
const frames = (n: number, fields: (frame: number) => Frame) => Array.from({ length: n }, (_, frame) => ({ frame, ...fields(frame) }));
const messageOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyframeError);
    return (error as Error).message;
  }
  throw new Error('expected a KeyframeError');
};

describe('a bad manifest is one line naming the place, frame and field', () => {
  it('not JSON, not a manifest, no frames, a frame that is no frame number', () => {
    expect(messageOf(() => parseParseqManifest('{"rendered_frames": [', 'm.json'))).toMatch(/^m\.json: not a Parseq manifest: invalid JSON \(/);
    expect(messageOf(() => parseParseqManifest('{"prompts": {"format": "v2"}}', 'm.json'))).toBe(
      'm.json: not a Parseq manifest: no "rendered_frames" (in Parseq, copy the manifest with its rendered frames, not the document)',
    );
    expect(messageOf(() => parseParseqManifest('[1, 2]', 'm.json'))).toMatch(/^m\.json: not a Parseq manifest: no "rendered_frames"/);
    expect(messageOf(() => parseParseqManifest('{"rendered_frames": []}', 'm.json'))).toBe('m.json: rendered_frames: expected at least one rendered frame');
    expect(messageOf(() => parseParseqManifest('{"rendered_frames": [{"frame": 0}, {"frame": 1.5}]}', 'm.json'))).toBe('m.json: rendered_frames[1].frame: expected a whole number, got 1.5');
    expect(messageOf(() => parseParseqManifest('{"rendered_frames": [{"frame": 0}, {"zoom": 1}]}', 'm.json'))).toBe('m.json: rendered_frames[1].frame: missing; expected a number');
    expect(messageOf(() => parseParseqManifest('{"options": {"cadence": "two"}, "rendered_frames": [{"frame": 0}]}', 'm.json'))).toBe('m.json: options.cadence: expected a number, got "two"');
  });

  it('frame 0 missing, or a frame missing in the middle, names the frame', () => {
    expect(messageOf(() => parseqSeries(...setUp(frames(3, () => ({ scale: 7 })).slice(1))))).toBe(
      'm.json: rendered_frames has no frame 0 (the animation has frames 0-1; Parseq writes every frame)',
    );
    const gap = frames(6, () => ({ scale: 7 })).filter((f) => f.frame !== 3);
    expect(messageOf(() => parseqSeries(...setUp(gap, { parseq: { manifest: 'm.json', overrides: false }, frames: 6 })))).toBe(
      'm.json: rendered_frames has no frame 3 (the animation has frames 0-5; Parseq writes every frame)',
    );
  });

  it('a value that is no number, or a managed field missing on a later frame, names the entry, its frame and the field', () => {
    const bad = frames(4, (f) => ({ angle: f, angle_delta: f === 2 ? 'abc' : 1 }));
    expect(messageOf(() => parseqSeries(...setUp(bad)))).toBe('m.json: rendered_frames[2] (frame 2): angle_delta: expected a number, got "abc"');
    const nulls = frames(4, (f) => ({ scale: f === 3 ? null : 7 }));
    expect(messageOf(() => parseqSeries(...setUp(nulls)))).toBe('m.json: rendered_frames[3] (frame 3): scale: expected a number, got null');
    const missing = frames(4, (f) => (f === 1 ? {} : { noise: 0.1 }));
    expect(messageOf(() => parseqSeries(...setUp(missing)))).toBe(
      'm.json: rendered_frames[1] (frame 1): no noise, which the first rendered frame has (a managed field must be on every frame)',
    );
    const prompt = frames(2, (f) => ({ deforum_prompt: f === 1 ? 42 : 'a cat' }));
    expect(messageOf(() => parseqSeries(...setUp(prompt)))).toBe('m.json: rendered_frames[1] (frame 1): deforum_prompt: expected a prompt text of at most 20000 characters, got 42');
  });

  it("the renderer's per-frame limits name the Parseq field: an even anti-blur kernel, a zoom of 0 in 2D", () => {
    expect(messageOf(() => parseqSeries(...setUp(frames(3, (f) => ({ antiblur_kernel: f === 2 ? 4 : 5 })))))).toBe(
      'm.json: antiblur_kernel: frame 2 is 4, expected an odd number (1, 3, … 99)',
    );
    expect(messageOf(() => parseqSeries(...setUp(frames(3, (f) => ({ zoom_delta: f === 1 ? 0 : 1 })))))).toBe('m.json: zoom_delta: frame 1 is 0, expected above 0');
    // 3D does not read zoom (Deforum ignores it there).
    expect(() => parseqSeries(...setUp(frames(3, (f) => ({ zoom_delta: f === 1 ? 0 : 1 })), { animationMode: '3D' }))).not.toThrow();
  });

  it('overrides: a cadence that int() makes 0, an fps out of range', () => {
    const one = frames(1, () => ({}));
    expect(messageOf(() => animationOf(manifestOf(one, { cadence: 0.5 })))).toBe('m.json: options.cadence: expected 1-100 (Deforum takes int() of it), got 0.5');
    expect(messageOf(() => animationOf(manifestOf(one, { output_fps: 1000 })))).toBe('m.json: options.output_fps: expected a number above 0 and at most 240, got 1000');
  });
});

function setUp(rendered: Frame[], input: Partial<AnimationInput> = {}): [ParseqManifest, ReturnType<typeof animationOf>] {
  const manifest = manifestOf(rendered);
  return [manifest, animationOf(manifest, input)];
}

describe('how the manifest applies (docs/deforum.md "Parseq manifests")', () => {
  it('overrides: the number of entries, output_fps (a string in older Parseq) and int(cadence); "" and 0 leave the file\'s; off leaves all', () => {
    const rendered = frames(5, () => ({}));
    expect(animationOf(manifestOf(rendered, { output_fps: '30', cadence: 3.7 }), { frames: 100, fps: 10 })).toMatchObject({ frames: 5, fps: 30, output: { fps: 30 }, diffusionCadence: 3 });
    expect(animationOf(manifestOf(rendered, { output_fps: '', cadence: 0 }), { frames: 100, fps: 10, diffusionCadence: 4 })).toMatchObject({ frames: 5, fps: 10, diffusionCadence: 4 });
    expect(animationOf(manifestOf(rendered, {}), { frames: 100, fps: 10, parseq: { manifest: 'm.json', overrides: false } })).toMatchObject({ frames: 100, fps: 10, diffusionCadence: 2 });
  });

  it('a field is managed only when the first rendered frame has it; the others keep the file\'s schedule', () => {
    const rendered = frames(4, (f) => ({ scale: 10 + f, ...(f > 0 ? { noise: 0.5 } : {}) }));
    const [manifest, animation] = setUp(rendered, { schedules: { noise: '0: (0.02)', cfg: '0: (3)' } });
    const schedules = buildAnimationSchedules(animation, { seed: 3, parseq: manifest });
    expect(Array.from(schedules.numeric.cfg.values)).toEqual([10, 11, 12, 13]);
    expect(Array.from(schedules.numeric.noise.values)).toEqual([0.02, 0.02, 0.02, 0.02]);
  });

  it('motion fields read _delta with useDeltas, the absolute value without; the other fields are always absolute', () => {
    const rendered = frames(3, (f) => ({ angle: 10 * f, angle_delta: f === 0 ? 0 : 10, zoom: 1 + f / 10, zoom_delta: f === 0 ? 1 : 1.1, scale: 7 + f, scale_delta: 1 }));
    const deltas = buildAnimationSchedules(setUp(rendered)[1], { seed: 3, parseq: setUp(rendered)[0] });
    expect([Array.from(deltas.numeric.angle.values), Array.from(deltas.numeric.zoom.values), Array.from(deltas.numeric.cfg.values)]).toEqual([[0, 10, 10], [1, 1.1, 1.1], [7, 8, 9]]);
    const [manifest, animation] = setUp(rendered, { parseq: { manifest: 'm.json', useDeltas: false } });
    const absolute = buildAnimationSchedules(animation, { seed: 3, parseq: manifest });
    expect([Array.from(absolute.numeric.angle.values), Array.from(absolute.numeric.zoom.values)]).toEqual([[0, 10, 20], [1, 1.1, 1.2]]);
  });

  it('prompts from deforum_prompt on every frame, no global prompts added; a managed seed wins over seedBehavior, int() of it', () => {
    const rendered = frames(4, (f) => ({ deforum_prompt: `a cat: ${1 - f / 3} AND a dog: ${f / 3} --neg blur`, seed: 41.5 + f, subseed: 42 + f, subseed_strength: 0.5 }));
    const [manifest, animation] = setUp(rendered, { positivePrompt: 'masterpiece', negativePrompt: 'ugly', seedBehavior: 'fixed', diffusionCadence: 1 });
    const jobs = planAnimation(animation, { seed: 3, parseq: manifest });
    expect(jobs.map((j) => j.diffusion.prompt)).toEqual(rendered.map((f) => ({ positive: (f.deforum_prompt as string).split(' --neg ')[0], negative: 'blur' })));
    expect(jobs.map((j) => j.diffusion.seed)).toEqual([41, 42, 43, 44]);
    // −1 is Deforum's "random": a seed derived from the run's, as the seed schedule does.
    const random = setUp(frames(2, () => ({ seed: -1 })), { diffusionCadence: 1 });
    expect(planAnimation(random[1], { seed: 3, parseq: random[0] }).map((j) => j.diffusion.seed)).toEqual([derivedSeed(3, 'schedule', 0), derivedSeed(3, 'schedule', 1)]);
  });

  it('warnings: duplicated frames once, the fields the renderer lacks in one line (prompt weights, companions and the unread absolute motion fields not)', () => {
    const rendered = [...frames(3, () => ({ scale: 7, scale_delta: 0, scale_pc: 100, prompt_weight_1: 1, angle: 0, angle_delta: 0, clipskip: 2, hybrid_flow_factor: 1, cn_2_weight: 1 })), { frame: 1, scale: 9, angle_delta: 0 }];
    const [manifest, animation] = setUp(rendered, { parseq: { manifest: 'm.json', overrides: false }, frames: 3, controlnet: [{ pose: 'p.json' }] });
    expect(parseqSeries(manifest, animation).warnings).toEqual([
      'm.json: rendered_frames defines frame 1 more than once; the later entry wins, as in Deforum',
      'm.json: fields this renderer does not have, left out: clipskip, hybrid_flow_factor, cn_2_weight (the file has no controlnet[1])',
    ]);
  });

  it("deforum plan's sources: from Parseq, from the file, and managed fields the mode does not use", () => {
    const [manifest, animation] = setUp(frames(2, () => ({ deforum_prompt: 'x', scale: 7, translation_z_delta: 1, angle_delta: 0 })), { controlnet: [{ pose: 'p.json', enabled: false }] });
    const sources = parseqSources(manifest, animation);
    expect(sources.parseq).toEqual(['frames', 'fps', 'cadence', 'prompts', 'cfg', 'angle']);
    expect(sources.file).toContain('seed');
    expect(sources.file).toContain('strength');
    expect(sources.unused).toEqual(['translationZ']);
  });
});

describe('deforum import and Parseq', () => {
  it('a manifest is recognised by its rendered frames and becomes a keyframe file naming it, 3D when only the 3D camera moves', () => {
    expect(isParseqManifest({ rendered_frames: [] })).toBe(true);
    expect(isParseqManifest({ prompts: {} })).toBe(false);
    const manifest = manifestOf(frames(9, () => ({ deforum_prompt: 'a cat', translation_z: 1, translation_z_delta: 1 })), { output_fps: 12, cadence: 3 });
    const { animation, notes } = keyframesOfManifest(manifest, '../m.json', 'm');
    expect(animation).toEqual({ name: 'm', parseq: '../m.json', frames: 9, fps: 12, diffusionCadence: 3, animationMode: '3D', prompts: { 0: 'a cat' } });
    expect(notes).toEqual(['animationMode "3D": the manifest moves the 3D camera (translation_z); Parseq does not record Deforum\'s mode, set "2D" if you rendered in 2D']);
    expect(AnimationSchema.safeParse(animation).success).toBe(true);
  });

  it("a settings file's pasted manifest is carried with its switches; empty is nothing; a URL or a broken manifest is one line", () => {
    const settings: Record<string, unknown> = { parseq_manifest: JSON.stringify({ rendered_frames: [{ frame: 0 }] }), parseq_use_deltas: false };
    const taken: string[] = [];
    const take = (key: string) => (taken.push(key), settings[key]);
    expect(carriedParseq(take, 'run')).toEqual({ parseq: { manifest: 'run.parseq.json', useDeltas: false, overrides: true } });
    expect(taken).toEqual(['parseq_manifest', 'parseq_use_deltas', 'parseq_non_schedule_overrides']);
    expect(carriedParseq(() => '', 'run')).toEqual({});
    expect(pastedParseqManifest('   ')).toBeUndefined();
    expect(messageOf(() => pastedParseqManifest('https://sd-parseq.web.app/api/v1/manifest/x'))).toBe(
      'parseq_manifest: https://sd-parseq.web.app/api/v1/manifest/x is a URL, which is not downloaded: open it, save the manifest next to the keyframe file and set "parseq" to its file name',
    );
    expect(messageOf(() => pastedParseqManifest('{"rendered_frames": [{"frame": -1}]}'))).toBe('parseq_manifest: rendered_frames[0].frame: expected a number at least 0, got -1');
  });
});
