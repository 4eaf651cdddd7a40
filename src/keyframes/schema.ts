import { z } from 'zod';
import { ControlNetUnitSchema } from './controlnet-unit.js';
import { colorCoherenceModes as motionColorModes } from '../motion/color-coherence.js';
import { defaultFrameNoise, frameNoiseTypes } from '../motion/frame-noise.js';
import { depthAlgorithmNames, depthTransform } from '../motion/depth-normalise.js';
import { paddingModes, samplingModes } from '../motion/grid-sample.js';
import { borderModes } from '../motion/warp.js';
import { MAX_SEED } from '../numerics/seed-range.js';
import { acceptedSamplerNames } from '../sampler/sampler-names.js';
import { DEFAULT_STRENGTH } from '../sampler/sigmas.js';
import { videoCodecs, videoDefaults, x264Presets } from '../video/formats.js';
import { NumericScheduleSourceSchema, StringScheduleSourceSchema } from './schedule-source.js';
import { ParseqSettingsSchema } from './parseq-settings.js';

export { NumericScheduleSourceSchema, StringScheduleSourceSchema, type NumericScheduleSource, type StringScheduleSource } from './schedule-source.js';

/**
 * The keyframe file users write. Field defaults follow Deforum's (docs/deforum.md §a–§g, `args.py` defaults); the only
 * departures are the model (the bundled `tiny-sd`) and the sampler spelled canonically.
 */

/**
 * Limits on what costs time or memory, each far past what a render needs:
 * - steps: A1111's slider stops at 150 and Stable Diffusion is trained on 1000 timesteps, past which no sampler gains;
 * - the anti-blur kernel: 99 px already holds OpenCV's Gaussian of sigma ≈ 15 (sigma from size), a blur that erases
 *   the frame, and every pixel costs kernel-size multiplies per pass;
 * - a prompt: 20,000 characters is about 4,000 CLIP tokens, 50 of A1111's 75-token chunks;
 * - ControlNet units: A1111's "Multi-ControlNet: max models" setting stops at 10.
 */
export const maxSteps = 1000;
/** Frame sides: SD's latent is 1/8 of the image; 2048 px (4 MP) is already 16 times SD 1.5's native 512 × 512. */
export const minFrameSide = 64;
export const maxFrameSide = 2048;
export const maxAntiBlurKernel = 99;
export const maxPromptCharacters = 20_000;
export const maxControlNetUnits = 10;

const prompt = z.string().max(maxPromptCharacters);

/**
 * `name` is the render folder `renders/<name>`: one path segment (a hostile file must not write elsewhere), within a
 * file name's 255 bytes once the video's suffixes are added.
 */
const renderName = z
  .string()
  .min(1)
  .refine((n) => /^[^/\\\u0000-\u001f]+$/.test(n) && n !== '.' && n !== '..', 'expected a folder name: no "/", "\\" or control characters, not "." or ".."')
  .refine((n) => new TextEncoder().encode(n).length <= 200, 'expected at most 200 bytes (it names a folder and files)');

const numeric = (deforumDefault: string, description: string) => NumericScheduleSourceSchema.default(deforumDefault).describe(description);

/** Deforum's default seed schedule: S, then random, then S on the last two frames (docs/deforum.md §c). */
export const defaultSeedSchedule = '0:(s), 1:(-1), "max_f-2":(-1), "max_f-1":(s)';

export const SchedulesSchema = z
  .strictObject({
    cfg: numeric('0: (7)', 'classifier-free guidance scale (Deforum cfg_scale_schedule)'),
    strength: numeric(`0: (${DEFAULT_STRENGTH})`, 'presence of the previous frame, 0-1; denoise = 1 - strength (Deforum strength_schedule)'),
    zoom: numeric('0: (1.0025+0.002*sin(1.25*3.14*t/30))', 'zoom factor per frame, 1 = static'),
    angle: numeric('0: (0)', 'rotation per frame in degrees'),
    translationX: numeric('0: (0)', 'pixels per frame'),
    translationY: numeric('0: (0)', 'pixels per frame'),
    transformCenterX: numeric('0: (0.5)', 'rotation/zoom centre as a fraction of the width'),
    transformCenterY: numeric('0: (0.5)', 'rotation/zoom centre as a fraction of the height'),
    noise: numeric('0: (0.065)', 'noise added to the previous frame, 0-1'),
    contrast: numeric('0: (1.0)', 'contrast multiplier of the previous frame'),
    antiBlurAmount: numeric('0: (0.1)', 'unsharp-mask amount applied to the previous frame, 0 = off (Deforum amount_schedule)'),
    antiBlurKernel: numeric('0: (5)', 'unsharp-mask kernel size, odd, 1-99 (truncated; Deforum kernel_schedule)'),
    antiBlurSigma: numeric('0: (1.0)', 'unsharp-mask Gaussian sigma (Deforum sigma_schedule)'),
    antiBlurThreshold: numeric('0: (0.0)', 'unsharp-mask threshold (Deforum threshold_schedule)'),
    translationZ: numeric('0: (1.75)', '3D: camera move forward per frame, 1/200 of a unit (Deforum translation_z)'),
    rotation3dX: numeric('0: (0)', '3D: camera tilt per frame in degrees (Deforum rotation_3d_x; > 0 moves content down)'),
    rotation3dY: numeric('0: (0)', '3D: camera pan per frame in degrees (Deforum rotation_3d_y; > 0 moves content left)'),
    rotation3dZ: numeric('0: (0)', '3D: camera roll per frame in degrees (Deforum rotation_3d_z)'),
    fov: numeric('0: (70)', '3D: field of view in degrees, -180-180 (negative mirrors the projection; Deforum fov_schedule)'),
    near: numeric('0: (200)', '3D: near plane (Deforum near_schedule; does not change the warp)'),
    far: numeric('0: (10000)', '3D: far plane (Deforum far_schedule; does not change the warp)'),
    aspectRatio: numeric('0: (1)', '3D: the camera\'s aspect ratio (Deforum aspect_ratio_schedule)'),
    perspectiveFlipTheta: numeric('0: (0)', 'with enablePerspectiveFlip: rotation about the view axis in degrees'),
    perspectiveFlipPhi: numeric('0: (0)', 'with enablePerspectiveFlip: rotation about x in degrees'),
    perspectiveFlipGamma: numeric('0: (0)', 'with enablePerspectiveFlip: rotation about y in degrees'),
    perspectiveFlipFv: numeric('0: (53)', 'with enablePerspectiveFlip: the flip camera\'s field of view in degrees'),
    steps: NumericScheduleSourceSchema.optional().describe('sampling steps per frame, 1-1000 (truncated); default: the top-level steps'),
    seed: numeric(defaultSeedSchedule, 'seed per frame for seedBehavior "schedule" (truncated; -1 = derived random)'),
    subseed: numeric('0: (1)', 'with enableSubseedScheduling: AUTOMATIC1111\'s variation seed per frame (truncated; -1 = derived random; Deforum subseed_schedule)'),
    subseedStrength: numeric('0: (0)', 'with enableSubseedScheduling: how far each frame\'s noise moves from the seed\'s towards the subseed\'s, 0-1 (Deforum subseed_strength_schedule)'),
    sampler: StringScheduleSourceSchema.optional().describe('sampler per frame; default: the top-level sampler'),
    noiseMultiplier: NumericScheduleSourceSchema.optional().describe(
      'scales the noise added to the img2img start latent per frame (AUTOMATIC1111 initial_noise_multiplier; Deforum noise_multiplier_schedule); absent = off (1)',
    ),
  })
  .describe('per-frame schedules');

/** Deforum's animation modes this renderer draws: the 2D warp, or the depth-based 3D camera (docs/deforum-3d.md). */
export const animationModes = ['2D', '3D'] as const;
export type AnimationMode = (typeof animationModes)[number];

/** The depth model of a 3D render and how Deforum uses its output (docs/deforum-3d.md §3, "Deforum 3D defaults"). */
export const DepthSettingsSchema = z
  .strictObject({
    model: z.string().min(1).default('tiny-depth').describe('a bundled depth model name or a path to an ONNX depth model (Depth-Anything-V2 or MiDaS layout)'),
    algorithm: z
      .string()
      .refine((name) => depthTransform(name) !== undefined, `expected one of Deforum's depth algorithms (case-insensitive): ${depthAlgorithmNames.join(', ')}`)
      .default('Midas-3-Hybrid')
      .describe(`Deforum's depth_algorithm, which picks the depth normalisation: ${depthAlgorithmNames.join(', ')}`),
    warping: z.boolean().default(true).describe('warp by depth (Deforum use_depth_warping); false = flat depth, z = 1'),
  })
  .describe('3D: the depth model and how its output becomes z');

/** Every schedule's default, as a file that sets none gets it. */
export const defaultSchedules: Readonly<z.infer<typeof SchedulesSchema>> = SchedulesSchema.parse({});

export const seedBehaviors = ['iter', 'fixed', 'random', 'ladder', 'alternate', 'schedule'] as const;

const seedResizeSide = z.int().min(0).max(maxFrameSide);
/** AUTOMATIC1111's seed resize in pixels: both sides 0 (off) or both a frame side. */
const SeedResizeSchema = z
  .strictObject({ width: seedResizeSide, height: seedResizeSide })
  .refine((r) => (r.width === 0 && r.height === 0) || (r.width >= minFrameSide && r.height >= minFrameSide), `expected both 0 (off) or both from ${minFrameSide} to ${maxFrameSide} pixels`);

/** The motion module's modes, and "image": match to a colour-sample image (in LAB, as Deforum). */
export const colorCoherenceModes = [...motionColorModes, 'image'] as const;

const samplerDescription = `sampler name, canonical or AUTOMATIC1111's, case-insensitive: ${acceptedSamplerNames.join(', ')}`;

export const OutputSchema = z
  .strictObject({
    fps: z.number().positive().max(240).optional().describe('frames per second of the video; the same setting as the top-level fps (give either)'),
    codec: z.enum(videoCodecs).default(videoDefaults.codec).describe('video container/codec'),
    crf: z.int().min(0).max(51).default(videoDefaults.crf).describe('x264/VP9 quality, lower is better (Deforum 17)'),
    preset: z.enum(x264Presets).default(videoDefaults.preset).describe('x264 preset (Deforum slow)'),
    audio: z.string().min(1).optional().describe('audio file to mux into the video (path relative to this file)'),
  })
  .describe('video output');

const defaultFps = videoDefaults.fps;

export const AnimationSchema = z
  .strictObject({
    $schema: z.string().optional().describe('path or URL of keyframes.schema.json, for editors'),
    name: renderName.optional().describe('name of the render and of its folder renders/<name> (default: the file name)'),
    model: z.string().min(1).default('tiny-sd').describe('a bundled model name or a path to an ONNX model folder'),
    width: z.int().min(minFrameSide).max(maxFrameSide).multipleOf(8).default(512).describe('frame width in pixels (multiple of 8)'),
    height: z.int().min(minFrameSide).max(maxFrameSide).multipleOf(8).default(512).describe('frame height in pixels (multiple of 8)'),
    frames: z.int().min(1).max(1_000_000).default(120).describe('number of frames (Deforum max_frames); frames run 0 … frames-1'),
    fps: z.number().positive().max(240).optional().describe('frames per second of the video (default 15, Deforum\'s); output.fps is the same setting'),
    sampler: z.string().min(1).default('euler_a').describe(samplerDescription),
    steps: z.int().min(1).max(maxSteps).default(25).describe('sampling steps (img2img runs about steps x (1 - strength))'),
    seed: z.int().min(-1).max(MAX_SEED).default(-1).describe('starting seed; -1 picks one at render time and records it'),
    seedBehavior: z.enum(seedBehaviors).default('iter').describe('how the seed changes from one diffused frame to the next (Deforum seed_behavior)'),
    seedIterN: z.int().min(1).default(1).describe('with "iter": frames per seed increment (Deforum seed_iter_N)'),
    enableSubseedScheduling: z.boolean().default(false).describe('use schedules.subseed and schedules.subseedStrength: AUTOMATIC1111\'s variation seeds (Deforum enable_subseed_scheduling)'),
    seedResizeFrom: SeedResizeSchema.optional().describe('draw the noise as for an image of this size, centred (AUTOMATIC1111\'s "Resize seed from"; Deforum seed_resize_from_w/h); 0 = off'),
    prompts: z
      .record(z.string(), prompt)
      .refine((p) => Object.keys(p).length > 0, 'expected at least one prompt, e.g. {"0": "a red circle"}')
      .describe('frame key (a number or an expression in max_f) → prompt; "--neg" starts the negative prompt'),
    positivePrompt: prompt.default('').describe('added before every prompt (Deforum animation_prompts_positive)'),
    negativePrompt: prompt.default('').describe('added to every negative prompt (Deforum animation_prompts_negative)'),
    promptInterpolation: z.boolean().default(false).describe('blend the conditioning of the two neighbouring prompts between keys'),
    schedules: SchedulesSchema.prefault({}),
    diffusionCadence: z.int().min(1).max(100).default(2).describe('diffuse every N-th frame; frames between are warped and blended (Deforum diffusion_cadence)'),
    initImage: z.string().min(1).optional().describe('image for frame 0 (path relative to this file); frame 0 is txt2img without it'),
    initStrength: z.number().min(0).max(1).default(0.8).describe('strength of the init image on frame 0 (Deforum strength)'),
    colorCoherence: z.enum(colorCoherenceModes).default('lab').describe('match each frame\'s colours to a sample (Deforum color_coherence)'),
    colorCoherenceImage: z.string().min(1).optional().describe('the colour sample for colorCoherence "image" (path relative to this file)'),
    borderMode: z.enum(borderModes).default('replicate').describe('how motion fills pixels from outside the frame'),
    noiseType: z.enum(frameNoiseTypes).default(defaultFrameNoise.type).describe('noise added to the previous frame: Gaussian times Perlin, or plain Gaussian (Deforum noise_type)'),
    perlinW: z.int().min(1).max(64).default(defaultFrameNoise.perlinW).describe('Perlin cells across the first octave (Deforum perlin_w)'),
    perlinH: z.int().min(1).max(64).default(defaultFrameNoise.perlinH).describe('Perlin cells down the first octave (Deforum perlin_h)'),
    perlinOctaves: z.int().min(1).max(7).default(defaultFrameNoise.perlinOctaves).describe('Perlin octaves (Deforum perlin_octaves)'),
    perlinPersistence: z.number().min(0).max(1).default(defaultFrameNoise.perlinPersistence).describe('amplitude ratio between Perlin octaves (Deforum perlin_persistence)'),
    animationMode: z.enum(animationModes).default('2D').describe('2D: zoom, angle and translation warp the frame; 3D: a camera moves through the depth of each frame (Deforum animation_mode)'),
    depth: DepthSettingsSchema.prefault({}),
    paddingMode: z.enum(paddingModes).default('border').describe('3D: what fills pixels from outside the frame (Deforum padding_mode)'),
    samplingMode: z.enum(samplingModes).default('bicubic').describe('3D: how the warp samples the previous frame (Deforum sampling_mode)'),
    aspectRatioUseOldFormula: z.boolean().default(false).describe('3D: use width/height as the camera aspect instead of schedules.aspectRatio (Deforum aspect_ratio_use_old_formula)'),
    saveDepthMaps: z.boolean().default(false).describe('write each frame\'s depth map to depth/<frame>.png beside frames/, 16-bit grey (Deforum save_depth_maps)'),
    enablePerspectiveFlip: z.boolean().default(false).describe('turn the frame as a card in 3D before the warp, in 2D and 3D (Deforum enable_perspective_flip)'),
    parseq: ParseqSettingsSchema.optional(),
    controlnet: z.array(ControlNetUnitSchema).max(maxControlNetUnits).default([]).describe('ControlNet units steering every frame with a keyframed pose'),
    output: OutputSchema.prefault({}),
  })
  .superRefine((a, ctx) => {
    if (a.fps !== undefined && a.output.fps !== undefined && a.fps !== a.output.fps) {
      ctx.addIssue({ code: 'custom', path: ['output', 'fps'], message: `${a.output.fps} differs from the top-level fps ${a.fps}; give the frame rate once` });
    }
  })
  // The issue's `output.fps` and Deforum's top-level `fps` are one setting: both hold it after parsing.
  .transform((a) => {
    const fps = a.fps ?? a.output.fps ?? defaultFps;
    return { ...a, fps, output: { ...a.output, fps } };
  })
  .describe('a deforum-ts keyframe file');

export type Animation = z.infer<typeof AnimationSchema>;
/** What a user writes: everything with a default may be left out. */
export type AnimationInput = z.input<typeof AnimationSchema>;
export type Schedules = Animation['schedules'];
export type NumericScheduleName = Exclude<keyof Schedules, 'sampler' | 'steps' | 'seed' | 'noiseMultiplier' | 'subseed' | 'subseedStrength'>;
/** Per-frame limits on the schedules whose values cost time or memory; `validate` checks every frame (truncated). */
export interface FrameValueLimit {
  min: number;
  max: number;
  odd?: boolean;
  /** The value is used as it is (not truncated to a whole number), and `min` itself is out of range. */
  aboveMin?: boolean;
  /** The value is used as it is (not truncated to a whole number). */
  fractional?: boolean;
}
export const frameValueLimits: Partial<Record<keyof Schedules, FrameValueLimit>> = {
  steps: { min: 1, max: maxSteps },
  // Deforum passes int(kernel) to cv2.GaussianBlur, which takes odd sizes only.
  antiBlurKernel: { min: 1, max: maxAntiBlurKernel, odd: true },
  // A 2D zoom of 0 scales every frame to a point (one real file renders flat colour); below 0 it mirrors. Neither is
  // an animation anyone means, and Deforum's warpAffine gives no error.
  zoom: { min: 0, max: Number.POSITIVE_INFINITY, aboveMin: true },
  // Deforum's tooltip range; beyond ±180 the tangent of the half angle wraps.
  fov: { min: -180, max: 180 },
  // AUTOMATIC1111's variation strength slider; beyond it the slerp extrapolates.
  subseedStrength: { min: 0, max: 1, fractional: true },
};

/** Deforum's schedule names (docs/deforum.md §g) → the schedule here: `deforum import` carries them, `validate` suggests them. */
export const deforumScheduleNames = {
  cfg_scale_schedule: 'cfg',
  strength_schedule: 'strength',
  zoom: 'zoom',
  angle: 'angle',
  translation_x: 'translationX',
  translation_y: 'translationY',
  transform_center_x: 'transformCenterX',
  transform_center_y: 'transformCenterY',
  noise_schedule: 'noise',
  contrast_schedule: 'contrast',
  amount_schedule: 'antiBlurAmount',
  kernel_schedule: 'antiBlurKernel',
  sigma_schedule: 'antiBlurSigma',
  threshold_schedule: 'antiBlurThreshold',
  steps_schedule: 'steps',
  seed_schedule: 'seed',
  sampler_schedule: 'sampler',
  noise_multiplier_schedule: 'noiseMultiplier',
} as const satisfies Record<string, keyof Schedules>;

/**
 * Deforum's settings names (docs/deforum.md §g) that differ here by more than snake_case → camelCase, so a field written
 * the Deforum way gets a did-you-mean: Deforum name → path in this schema.
 */
export const deforumFieldNames: Readonly<Record<string, string>> = {
  W: 'width',
  H: 'height',
  max_frames: 'frames',
  animation_prompts: 'prompts',
  animation_prompts_positive: 'positivePrompt',
  animation_prompts_negative: 'negativePrompt',
  color_coherence_image_path: 'colorCoherenceImage',
  border: 'borderMode',
  soundtrack_path: 'output.audio',
  cfg_scale: 'schedules.cfg',
  subseed_schedule: 'schedules.subseed',
  subseed_strength_schedule: 'schedules.subseedStrength',
  seed_resize_from_w: 'seedResizeFrom.width',
  seed_resize_from_h: 'seedResizeFrom.height',
  ...Object.fromEntries(Object.entries(deforumScheduleNames).map(([deforum, ours]) => [deforum, `schedules.${ours}`])),
};

/** Schedules only the 2D warp reads: Deforum ignores them in 3D. */
export const schedules2dOnly = ['zoom', 'angle', 'transformCenterX', 'transformCenterY'] as const satisfies readonly NumericScheduleName[];
/** Schedules only the 3D camera reads. */
export const schedules3dOnly = ['translationZ', 'rotation3dX', 'rotation3dY', 'rotation3dZ', 'fov', 'near', 'far', 'aspectRatio'] as const satisfies readonly NumericScheduleName[];
export const perspectiveFlipScheduleNames = ['perspectiveFlipTheta', 'perspectiveFlipPhi', 'perspectiveFlipGamma', 'perspectiveFlipFv'] as const satisfies readonly NumericScheduleName[];

export const numericScheduleNames = [
  'cfg', 'strength', 'zoom', 'angle', 'translationX', 'translationY', 'transformCenterX', 'transformCenterY', 'noise', 'contrast',
  'antiBlurAmount', 'antiBlurKernel', 'antiBlurSigma', 'antiBlurThreshold', ...schedules3dOnly, ...perspectiveFlipScheduleNames,
] as const satisfies readonly NumericScheduleName[];

export const isNumericScheduleName = (name: string): name is NumericScheduleName => (numericScheduleNames as readonly string[]).includes(name);

/** Whether an animation in `mode` (with or without the perspective flip) reads schedule `name`. */
export function scheduleIsUsed(name: NumericScheduleName, mode: AnimationMode, perspectiveFlip: boolean): boolean {
  if ((perspectiveFlipScheduleNames as readonly string[]).includes(name)) return perspectiveFlip;
  if ((schedules2dOnly as readonly string[]).includes(name)) return mode === '2D';
  if ((schedules3dOnly as readonly string[]).includes(name)) return mode === '3D';
  return true;
}

/** The JSON Schema editors use; `schedules/keyframes.schema.json` is this, pretty-printed. */
export function animationJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(AnimationSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
