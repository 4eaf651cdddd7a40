/**
 * What one ControlNet unit contributes to one FrameJob, computed by the plan: its weight and guidance window on the
 * frame (docs/deforum.md §e) and the pose map the renderer draws or loads. Pose images and videos are named with the
 * sha256 of their bytes, so the job hash follows their content (an edited pose image re-renders its frames) and does
 * not depend on the working directory.
 */
import { z } from 'zod';
import { PoseSchema } from './pose.js';

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

export const PoseRefSchema = z.union([
  /** Drawn as the OpenPose preprocessor draws, already fitted to the frame and interpolated between keys. */
  z.strictObject({ keypoints: PoseSchema }),
  /** A pose image, relative to the keyframe file, fitted with the unit's resize mode. */
  z.strictObject({ image: z.string(), sha256: Sha256Schema }),
  /** Frame `frame` (from 0) of a pose video, relative to the keyframe file. */
  z.strictObject({ video: z.string(), sha256: Sha256Schema, frame: z.int().min(0) }),
]);
export type PoseRef = z.infer<typeof PoseRefSchema>;

export const UnitFrameSchema = z.strictObject({
  weight: z.number(),
  guidanceStart: z.number(),
  guidanceEnd: z.number(),
  pose: PoseRefSchema,
});
export type UnitFrame = z.infer<typeof UnitFrameSchema>;
