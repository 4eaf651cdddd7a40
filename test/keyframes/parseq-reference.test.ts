import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseParseqManifest, parseqSeries, withParseqOverrides } from '../../src/keyframes/parseq.js';
import { buildSchedule } from '../../src/keyframes/schedule.js';
import { AnimationSchema, numericScheduleNames } from '../../src/keyframes/schema.js';
import { buildAnimationSchedules, planAnimation } from '../../src/plan/plan.js';

/**
 * Deforum's own ParseqAdapter on the manifests of tools/fixtures/deforum_parseq.py (deltas, fractional seeds, prompts
 * with AND and a backtick expression, fields Parseq does not manage, a duplicated frame, an unsorted manifest, a
 * manifest shorter and one longer than the animation): every series our plan builds equals Deforum's, bit for bit.
 */

interface Expected {
  frames: number;
  cadence: number;
  fps: number;
  managesPrompts: boolean;
  managesSeed: boolean;
  series: Record<string, Array<number | null>>;
  controlnet: Array<Record<'weight' | 'guidanceStart' | 'guidanceEnd', number[]>>;
  seed: number[];
  subseed: number[];
  subseedStrength: number[];
  prompts: string[];
}
interface Case {
  name: string;
  manifest: string;
  useDeltas: boolean;
  overrides: boolean;
  file: { frames: number; diffusionCadence: number; fps: number };
  expected: Expected;
}
const fixtures = new URL('../fixtures/parseq/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('expected.json', fixtures), 'utf8')) as {
  fileSchedules: Record<string, string>;
  fileControlNet: Record<string, string>;
  upstreamDuplicatePrompt: string;
  cases: Case[];
};

/** Deforum's anim_args names of the schedules the script gave the file → ours. */
const deforumNames: Record<string, string> = {
  angle: 'angle', zoom: 'zoom', translation_x: 'translationX', translation_y: 'translationY', translation_z: 'translationZ',
  transform_center_x: 'transformCenterX', transform_center_y: 'transformCenterY', rotation_3d_x: 'rotation3dX', rotation_3d_y: 'rotation3dY',
  rotation_3d_z: 'rotation3dZ', perspective_flip_theta: 'perspectiveFlipTheta', perspective_flip_phi: 'perspectiveFlipPhi',
  perspective_flip_gamma: 'perspectiveFlipGamma', perspective_flip_fv: 'perspectiveFlipFv', noise_schedule: 'noise', strength_schedule: 'strength',
  contrast_schedule: 'contrast', cfg_scale_schedule: 'cfg', noise_multiplier_schedule: 'noiseMultiplier', kernel_schedule: 'antiBlurKernel',
  sigma_schedule: 'antiBlurSigma', amount_schedule: 'antiBlurAmount', threshold_schedule: 'antiBlurThreshold', aspect_ratio_schedule: 'aspectRatio',
  fov_schedule: 'fov', near_schedule: 'near', far_schedule: 'far',
};
const schedules = Object.fromEntries(Object.entries(deforumNames).map(([deforum, ours]) => [ours, golden.fileSchedules[deforum]]));
const units = [1, 2, 3, 4, 5].map((n) => ({
  pose: 'pose.json',
  weight: golden.fileControlNet[`cn_${n}_weight`],
  guidanceStart: golden.fileControlNet[`cn_${n}_guidance_start`],
  guidanceEnd: golden.fileControlNet[`cn_${n}_guidance_end`],
}));

function setUp(c: Case) {
  const manifest = parseParseqManifest(readFileSync(new URL(c.manifest, fixtures), 'utf8'), c.manifest);
  const file = AnimationSchema.parse({
    prompts: { 0: 'the file prompt' },
    seed: 5,
    ...c.file,
    schedules,
    controlnet: units,
    parseq: { manifest: c.manifest, useDeltas: c.useDeltas, overrides: c.overrides },
  });
  return { manifest, animation: withParseqOverrides(file, manifest) };
}

/** Bit for bit: -0 (Parseq's -1.5 × 0) stays -0. */
const list = (values: ArrayLike<number>) => Array.from(values);

describe.each(golden.cases)("Parseq manifest '$name' reads as Deforum's ParseqAdapter reads it", (c) => {
  const { manifest, animation } = setUp(c);
  const warnings: string[] = [];
  const built = buildAnimationSchedules(animation, { seed: 5, parseq: manifest, onWarning: (w) => warnings.push(w) });

  it(`overrides: ${c.expected.frames} frames, cadence ${c.expected.cadence}, ${c.expected.fps} fps`, () => {
    expect({ frames: animation.frames, cadence: animation.diffusionCadence, fps: animation.fps, outputFps: animation.output.fps }).toEqual({
      frames: c.expected.frames,
      cadence: c.expected.cadence,
      fps: c.expected.fps,
      outputFps: c.expected.fps,
    });
  });

  it('every numeric schedule, managed or the file\'s, equals Deforum\'s series on every frame', () => {
    for (const name of numericScheduleNames) expect({ name, values: list(built.numeric[name].values) }).toEqual({ name, values: c.expected.series[name] });
    expect(list(built.noiseMultiplier!.values)).toEqual(c.expected.series.noiseMultiplier);
  });

  it('ControlNet weights and guidance windows: cn_N_* replace unit N-1\'s, the others keep the file\'s', () => {
    const series = parseqSeries(manifest, animation);
    animation.controlnet.forEach((unit, index) => {
      for (const field of ['weight', 'guidanceStart', 'guidanceEnd'] as const) {
        const values = series.controlnet[index]?.[field]?.values ?? buildSchedule(unit[field], { frames: animation.frames, seed: 5, name: field }).values;
        expect({ index, field, values: list(values) }).toEqual({ index, field, values: c.expected.controlnet[index][field] });
      }
    });
  });

  it('seeds are int(seed) on every frame; subseed int(subseed), its strength as written', () => {
    expect(c.expected.managesSeed).toBe(true);
    expect(list(built.seed!.values)).toEqual(c.expected.seed);
    expect(list(built.parseq!.seeds!.subseed!.values)).toEqual(c.expected.subseed);
    expect(list(built.parseq!.seeds!.subseedStrength!.values)).toEqual(c.expected.subseedStrength);
    const jobs = planAnimation({ ...animation, controlnet: [] }, { seed: 5, parseq: manifest });
    for (const job of jobs.filter((j) => j.diffused)) expect({ frame: job.frame, seed: job.diffusion.seed }).toEqual({ frame: job.frame, seed: c.expected.seed[job.frame] });
  });

  it("each frame's prompt is deforum_prompt after Deforum's prepare_prompt (backticks, --neg split)", () => {
    expect(c.expected.managesPrompts).toBe(true);
    const jobs = planAnimation({ ...animation, controlnet: [] }, { seed: 5, parseq: manifest });
    const prepared = jobs.map(({ diffusion: { prompt } }) => (prompt.negative ? `${prompt.positive}--neg ${prompt.negative}` : prompt.positive));
    expect(prepared).toEqual(c.expected.prompts);
  });

  it('a duplicated frame is one warning; fields this renderer lacks are listed, the prompt weights are not', () => {
    const duplicated = c.manifest === 'main.json' ? 6 : 2;
    expect(warnings.filter((w) => w.includes('more than once'))).toEqual([`${c.manifest}: rendered_frames defines frame ${duplicated} more than once; the later entry wins, as in Deforum`]);
    const lacking = warnings.find((w) => w.includes('does not have'));
    expect(lacking).toBe(`${c.manifest}: fields this renderer does not have, left out: clipskip, hybrid_comp_alpha, guided_blendFactorMax`);
  });
});

it("the unmodified Deforum adapter crashes on a duplicated frame with prompts (why 'the later entry wins' for prompts too)", () => {
  expect(golden.upstreamDuplicatePrompt).toMatch(/^TypeError: ufunc 'isnan' not supported/);
});
