import { z } from 'zod';

/**
 * A body pose as the OpenPose preprocessor sees it: per person the 18 COCO keypoints in OpenPose order
 * (docs/sd-pipeline.md §6.3), each a pixel position or null when missing.
 */
export const COCO18_KEYPOINTS = [
  'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow', 'left_wrist',
  'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle', 'right_eye', 'left_eye',
  'right_ear', 'left_ear',
] as const;

export const KEYPOINT_COUNT = COCO18_KEYPOINTS.length;

const KeypointSchema = z.strictObject({ x: z.number(), y: z.number() });
export type Keypoint = z.infer<typeof KeypointSchema>;

/** People in pixel coordinates of a canvas of the given size; per person KEYPOINT_COUNT entries, null where missing. */
export const PoseSchema = z.strictObject({
  width: z.int().positive(),
  height: z.int().positive(),
  people: z.array(z.array(KeypointSchema.nullable()).readonly()).readonly(),
});
export type Pose = z.infer<typeof PoseSchema>;
export type Person = Pose['people'][number];
