import { z } from 'zod';
import { UnitFrameSchema } from '../controlnet/unit-frame.js';
import { colorCoherenceModes } from '../motion/color-coherence.js';
import { frameNoiseTypes } from '../motion/frame-noise.js';
import { paddingModes, samplingModes } from '../motion/grid-sample.js';
import { borderModes } from '../motion/warp.js';
import { MAX_SEED } from '../numerics/seed-range.js';
import { ExtraNetworkSchema } from '../sampler/prompt/extra-networks.js';
import { samplerNames, schedulerNames } from '../sampler/sampler-names.js';

const PromptPairSchema = z.strictObject({ positive: z.string(), negative: z.string() });

/** Deforum's perspective flip of this frame (`PerspectiveFlip`, motion/perspective-flip.ts), when it is on. */
const FlipSchema = z.strictObject({ theta: z.number(), phi: z.number(), gamma: z.number(), fv: z.number() });

/** Deforum's 2D motion of this frame (`Motion2D`, motion/warp.ts) and the border mode of the warp. */
const Motion2DSchema = z.strictObject({
  mode: z.literal('2D'),
  zoom: z.number(),
  angle: z.number(),
  translationX: z.number(),
  translationY: z.number(),
  centerX: z.number(),
  centerY: z.number(),
  border: z.enum(borderModes),
  flip: FlipSchema.optional(),
});

/** Deforum's 3D camera move of this frame (`Motion3D`, motion/warp3d.ts), how depth becomes z, and the sampling. */
const Motion3DSchema = z.strictObject({
  mode: z.literal('3D'),
  translationX: z.number(),
  translationY: z.number(),
  translationZ: z.number(),
  rotationX: z.number(),
  rotationY: z.number(),
  rotationZ: z.number(),
  fov: z.number(),
  near: z.number(),
  far: z.number(),
  aspectRatio: z.number(),
  aspectRatioUseOldFormula: z.boolean(),
  /** Deforum's depth_algorithm: the depth normalisation, or the legacy path. */
  depthAlgorithm: z.string(),
  /** Warp by the predicted depth; false = flat z = 1 (Deforum use_depth_warping). */
  depthWarping: z.boolean(),
  padding: z.enum(paddingModes),
  sampling: z.enum(samplingModes),
  /** The flip's border: Deforum's `border` setting, which the 3D warp itself does not use. */
  border: z.enum(borderModes),
  flip: FlipSchema.optional(),
});

const MotionSchema = z.discriminatedUnion('mode', [Motion2DSchema, Motion3DSchema]);

/** What is done to the warped previous frame before img2img (motion/prepare-init.ts; docs/deforum.md §d). */
const PrepareSchema = z.strictObject({
  /** Histogram matching to the colour reference; a colour-sample image is matched in LAB. */
  colorCoherence: z.enum(colorCoherenceModes),
  contrast: z.number(),
  /** Deforum's anti-blur (unsharp mask, `UnsharpMask`); amount 0 = off. */
  antiBlur: z.strictObject({ amount: z.number(), kernel: z.int(), sigma: z.number(), threshold: z.number() }),
  /** Deforum's frame noise: its amount and `FrameNoiseSettings`. */
  noise: z.strictObject({
    amount: z.number(),
    type: z.enum(frameNoiseTypes),
    perlinW: z.int(),
    perlinH: z.int(),
    perlinOctaves: z.int(),
    perlinPersistence: z.number(),
  }),
});

/** One Stable Diffusion run: what `StableDiffusion.generate` takes, less the image size and the init image. */
const DiffusionSchema = z.strictObject({
  prompt: PromptPairSchema,
  /** With promptInterpolation: the next key's prompt and its weight w_next = (f − cur)/(next − cur). */
  promptBlend: z.strictObject({ next: PromptPairSchema, weight: z.number().min(0).max(1) }).optional(),
  cfg: z.number(),
  /** Clamped to [0, 1]; denoise = 1 − strength. 0 on a txt2img frame 0. */
  strength: z.number().min(0).max(1),
  steps: z.int().min(1),
  sampler: z.enum(samplerNames),
  scheduler: z.enum(schedulerNames),
  seed: z.int().min(0).max(MAX_SEED),
  /** A1111's initial_noise_multiplier for this img2img frame (schedules.noiseMultiplier); absent = 1. */
  noiseMultiplier: z.number().optional(),
  /** The LoRA/LyCORIS/hypernetwork tags of the positive prompts (removed from the text; not applied yet); absent = none. */
  extraNetworks: z.array(ExtraNetworkSchema).optional(),
});

/**
 * Everything needed to make one frame, and nothing else; computed only by `planAnimation`. Grouped by the stage that
 * consumes it, each group in that stage's own terms, so the renderer passes whole groups.
 */
export const FrameJobSchema = z.strictObject({
  frame: z.int().min(0),
  /** Diffused frames are every `diffusionCadence`-th; the others are warped and blended (docs/deforum.md §d Cadence). */
  diffused: z.boolean(),
  /** What frame 0 starts from; later frames start from the previous frame, warped. */
  source: z.enum(['txt2img', 'init-image', 'previous-frame']),
  motion: MotionSchema,
  prepare: PrepareSchema,
  diffusion: DiffusionSchema,
  /** Per enabled ControlNet unit, in file order: its weight, guidance window and pose on this frame (absent without units). */
  controlnet: z.array(UnitFrameSchema).optional(),
});
export type FrameJob = z.infer<typeof FrameJobSchema>;
export type MotionJob = FrameJob['motion'];
export type DiffusionJob = FrameJob['diffusion'];
export type PrepareJob = FrameJob['prepare'];
