/**
 * The OpenPose body skeleton exactly as the ControlNet preprocessor draws it (`draw_bodypose`, docs/sd-pipeline.md §6.3):
 * black RGB canvas; per person, first every limb as a filled rotated ellipse of half-width 4 in 0.6× its colour, then
 * every joint as a filled radius-4 circle in full colour; missing joints and their limbs are skipped.
 */
import { createRawImage, type RawImage } from '../raw-image.js';
import { ellipse2Poly, fillCircle, fillConvexPoly, type Rgb } from './opencv-raster.js';
import type { Person, Pose } from './pose.js';

const STICK_WIDTH = 4; // docs/sd-pipeline.md §6.3
const JOINT_RADIUS = 4;

/** Limb i joins keypoints LIMBS[i] and is drawn in COLORS[i] (0-based OpenPose `limbSeq`). */
export const LIMBS: ReadonlyArray<readonly [number, number]> = [
  [1, 2], [1, 5], [2, 3], [3, 4], [5, 6], [6, 7], [1, 8], [8, 9], [9, 10],
  [1, 11], [11, 12], [12, 13], [1, 0], [0, 14], [14, 16], [0, 15], [15, 17],
];

/** Colour i is used for limb i and keypoint i (RGB). */
export const COLORS: readonly Rgb[] = [
  [255, 0, 0], [255, 85, 0], [255, 170, 0], [255, 255, 0], [170, 255, 0], [85, 255, 0], [0, 255, 0], [0, 255, 85],
  [0, 255, 170], [0, 255, 255], [0, 170, 255], [0, 85, 255], [0, 0, 255], [85, 0, 255], [170, 0, 255], [255, 0, 255],
  [255, 0, 170], [255, 0, 85],
];

const limbColor = (color: Rgb): Rgb => [Math.trunc(color[0] * 0.6), Math.trunc(color[1] * 0.6), Math.trunc(color[2] * 0.6)];

/** Draws one person onto an RGB image, with the preprocessor's float arithmetic and truncations. */
export function drawPerson(image: RawImage, person: Person): void {
  LIMBS.forEach(([from, to], i) => {
    const a = person[from];
    const b = person[to];
    if (!a || !b) return;
    const dx = a.x - b.x;
    const dy = a.y - b.y;
    const length = Math.sqrt(dy * dy + dx * dx);
    const angle = Math.atan2(dy, dx) * (180 / Math.PI); // Python's math.degrees
    const center = { x: Math.trunc((a.x + b.x) / 2), y: Math.trunc((a.y + b.y) / 2) };
    const polygon = ellipse2Poly(center, { width: Math.trunc(length / 2), height: STICK_WIDTH }, Math.trunc(angle), 0, 360, 1);
    fillConvexPoly(image, polygon, limbColor(COLORS[i]));
  });
  person.forEach((keypoint, i) => {
    if (keypoint) fillCircle(image, { x: Math.trunc(keypoint.x), y: Math.trunc(keypoint.y) }, JOINT_RADIUS, COLORS[i]);
  });
}

/** The pose map: all people drawn in order on black at the pose's size. */
export function drawPose(pose: Pose): RawImage {
  const image = createRawImage(pose.width, pose.height, 3);
  for (const person of pose.people) drawPerson(image, person);
  return image;
}
