/**
 * One `controlnet` unit of the keyframe file: Deforum's per-unit settings (docs/deforum.md §e: weight, guidance start/end
 * schedules, control mode, resize mode) with the pose as keyframed OpenPose JSON, a folder of pose images, a video or
 * one image.
 * A1111's display strings are accepted for the two modes and normalised to the short names.
 */
import { z } from 'zod';
import { interpolationNames } from '../numerics/interpolation.js';
import { NumericScheduleSourceSchema } from '../keyframes/schedule-source.js';
import { CONTROL_MODE_NAMES, CONTROL_MODES, RESIZE_MODE_NAMES, RESIZE_MODES } from './modes.js';

/** An enum that also takes display names, written as one string enum so the editor JSON Schema lists them all. */
function namedEnum<T extends string>(canonical: readonly T[], names: Record<string, T>, what: string) {
  const accepted = [...canonical, ...Object.keys(names)] as [string, ...string[]];
  return z
    .enum(accepted, { error: `expected a ${what}: ${accepted.map((name) => `"${name}"`).join(', ')}` })
    .transform((value) => names[value] ?? (value as T));
}

const PoseFileSchema = z.string().min(1).describe('an OpenPose JSON file, relative to the keyframe file');

const PoseKeyframeSchema = z.union([
  PoseFileSchema,
  z.strictObject({
    file: PoseFileSchema,
    interpolation: z.enum(interpolationNames).optional().describe('how the joints move into and out of this key (default: the unit\'s interpolation)'),
  }),
]);

export const PoseSourceSchema = z
  .union(
    [
      z.strictObject({ images: z.string().min(1).describe('folder of pose images, relative to the keyframe file; sorted by name, image i is frame i') }),
      z.strictObject({ video: z.string().min(1).describe('video of pose images, relative to the keyframe file; video frame i is frame i') }),
      z.strictObject({ image: z.string().min(1).describe('one pose image for every frame, relative to the keyframe file') }),
      PoseFileSchema.describe('one OpenPose JSON file, used for every frame'),
      z
        .record(z.string(), PoseKeyframeSchema)
        .refine((keys) => Object.keys(keys).length > 0, 'expected at least one pose keyframe, e.g. {"0": "poses/stand.json"}')
        .describe('pose keyframes: frame key → OpenPose JSON file, e.g. {"0": "poses/stand.json", "48": "poses/wave.json"}'),
    ],
    { error: 'expected pose keyframes {"0": "poses/stand.json", …}, a JSON file, {"images": "folder/"}, {"video": "file.mp4"} or {"image": "pose.png"}' },
  )
  .describe('where the per-frame pose comes from');
export type PoseSourceSpec = z.infer<typeof PoseSourceSchema>;

export const ControlNetUnitSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('a disabled unit is ignored'),
    model: z.string().min(1).default('tiny-sd-controlnet-openpose').describe('a bundled ControlNet name or a path to a ControlNet ONNX folder'),
    pose: PoseSourceSchema,
    weight: NumericScheduleSourceSchema.default('0: (1)').describe('ControlNet weight per frame (Deforum cn_weight; 0 = off)'),
    guidanceStart: NumericScheduleSourceSchema.default('0: (0.0)').describe('fraction of the sampling steps where control starts'),
    guidanceEnd: NumericScheduleSourceSchema.default('0: (1.0)').describe('fraction of the sampling steps where control ends'),
    controlMode: namedEnum(CONTROL_MODES, CONTROL_MODE_NAMES, 'control mode')
      .default('balanced')
      .describe('balanced; prompt = "My prompt is more important" (soft per-block weights); controlnet = "ControlNet is more important" (soft weights, conditional half only)'),
    resizeMode: namedEnum(RESIZE_MODES, RESIZE_MODE_NAMES, 'resize mode')
      .default('inner-fit')
      .describe('how a pose canvas of another size fits the frame: just-resize (stretch), inner-fit (scale to cover, crop; Deforum\'s default), outer-fit (scale to fit, pad black)'),
    interpolation: z.enum(interpolationNames).default('linear').describe('how joints move between pose keyframes'),
  })
  .describe('a ControlNet unit steering every frame with a pose');

export type ControlNetUnit = z.infer<typeof ControlNetUnitSchema>;
export type ControlNetUnitInput = z.input<typeof ControlNetUnitSchema>;
