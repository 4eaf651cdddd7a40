/**
 * Where a ControlNet unit's per-frame pose comes from, as the keyframe file writes it: keyframed OpenPose JSON, one
 * JSON file, a folder of pose images, a video or one image. Paths are relative to the keyframe file.
 */
import { z } from 'zod';
import { interpolationNames } from '../numerics/interpolation.js';

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
/** One pose keyframe: its OpenPose JSON file, with or without its own interpolation. */
export type PoseKeyframeSpec = z.infer<typeof PoseKeyframeSchema>;

