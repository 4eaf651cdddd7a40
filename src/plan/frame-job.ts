import { z } from 'zod';
import { MAX_SEED } from '../numerics/seed-range.js';
import { borderModes, colorCoherenceModes, noiseTypes } from '../keyframes/schema.js';
import { samplerNames, schedulerNames } from '../sampler/sampler-names.js';

const PromptPairSchema = z.strictObject({ positive: z.string(), negative: z.string() });

/** Everything needed to make one frame, and nothing else; computed only by `planAnimation`. */
export const FrameJobSchema = z.strictObject({
  frame: z.int().min(0),
  /** Diffused frames are every `diffusionCadence`-th; the others are warped and blended (docs/deforum.md §d Cadence). */
  diffused: z.boolean(),
  /** What frame 0 starts from; later frames start from the previous frame, warped. */
  source: z.enum(['txt2img', 'init-image', 'previous-frame']),
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
  zoom: z.number(),
  angle: z.number(),
  translationX: z.number(),
  translationY: z.number(),
  transformCenterX: z.number(),
  transformCenterY: z.number(),
  noise: z.number(),
  contrast: z.number(),
  /** Deforum's anti-blur (unsharp mask) on the previous frame; amount 0 = off. */
  antiBlurAmount: z.number(),
  antiBlurKernel: z.int(),
  antiBlurSigma: z.number(),
  antiBlurThreshold: z.number(),
  colorCoherence: z.enum(colorCoherenceModes),
  borderMode: z.enum(borderModes),
  noiseType: z.enum(noiseTypes),
  perlinW: z.int(),
  perlinH: z.int(),
  perlinOctaves: z.int(),
  perlinPersistence: z.number(),
  /** Per enabled ControlNet unit, in file order: its weight and guidance window on this frame (absent without units). */
  controlnet: z.array(z.strictObject({ weight: z.number(), guidanceStart: z.number(), guidanceEnd: z.number() })).optional(),
});
export type FrameJob = z.infer<typeof FrameJobSchema>;
