/**
 * Deforum's `anim_frame_warp` for one frame (animation.py; docs/deforum.md §d, docs/deforum-3d.md §1): in 2D the
 * rotation/zoom/translation homography, in 3D the depth-based camera move, each optionally after the perspective flip.
 * With the flip on in 2D, Deforum writes `np.matmul(bM, rot_mat, trans_mat)`, whose third argument is numpy's output
 * array, so the matrix is flip · rotation and the 2D translation is dropped; we do the same. In 3D the flip turns the
 * image first and the 3D warp then uses the depth predicted from the unflipped image, as Deforum does.
 */
import type { RawImage } from '../raw-image.js';
import type { PaddingMode, SamplingMode } from './grid-sample.js';
import { flipPerspective, perspectiveFlipMatrix, type PerspectiveFlip } from './perspective-flip.js';
import { motionMatrix, warp2D, warpImage, type BorderMode, type Matrix3, type Motion2D } from './warp.js';
import { warp3D, type Motion3D } from './warp3d.js';

interface Flipped {
  flip?: PerspectiveFlip;
  /** Deforum's `border`: the 2D warp's and the flip's (the flip wraps for `wrap`, else replicates). */
  border: BorderMode;
}

export type CameraMotion =
  | (Flipped & Motion2D & { mode: '2D' })
  | (Flipped &
      Motion3D & {
        mode: '3D';
        depthAlgorithm: string;
        /** false: flat z = 1 whatever the depth (Deforum use_depth_warping). */
        depthWarping: boolean;
        padding: PaddingMode;
        sampling: SamplingMode;
      });

/** Row-major 3×3 product in float64, k summed in order. */
function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const out = new Array<number>(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  return out as unknown as Matrix3;
}

/** Whether the 3D warp uses depth on this frame, so the renderer knows to predict it. */
export const usesDepth = (motion: CameraMotion): boolean => motion.mode === '3D' && motion.depthWarping;

/** The previous frame moved by the frame's motion; `depth` (the depth model's output at the image size) only in 3D. */
export function moveCamera(image: RawImage, motion: CameraMotion, depth: Float32Array | undefined): RawImage {
  if (motion.mode === '2D') {
    if (!motion.flip) return warp2D(image, motion, motion.border);
    const rotation = motionMatrix(image.width, image.height, { ...motion, translationX: 0, translationY: 0 });
    return warpImage(image, multiply(perspectiveFlipMatrix(image.width, image.height, motion.flip), rotation), motion.border === 'wrap' ? 'wrap' : 'replicate');
  }
  const flipped = motion.flip ? flipPerspective(image, motion.flip, motion.border === 'wrap' ? 'wrap' : 'replicate') : image;
  return warp3D(flipped, motion.depthWarping ? depth : undefined, motion, { depthAlgorithm: motion.depthAlgorithm, padding: motion.padding, sampling: motion.sampling }).image;
}
