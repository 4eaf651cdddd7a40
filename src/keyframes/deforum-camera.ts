/**
 * A Deforum settings file's camera beyond the 2D schedules: 3D mode (`translation_z`, `rotation_3d_*`, the lens
 * schedules, depth warping and its algorithm, padding and sampling, saved depth maps) and the perspective flip of
 * either mode, carried into the keyframe file (docs/deforum-3d.md "Deforum 3D defaults"). In 3D Deforum ignores zoom,
 * angle and the transform centre; the caller leaves them out.
 */
import { depthTransform } from '../motion/depth-normalise.js';
import { paddingModes, samplingModes } from '../motion/grid-sample.js';
import type { AnimationInput } from './schema.js';

type Settings = Record<string, unknown>;

/** Deforum's 3D schedule names → ours. */
const schedules3d = {
  translation_z: 'translationZ',
  rotation_3d_x: 'rotation3dX',
  rotation_3d_y: 'rotation3dY',
  rotation_3d_z: 'rotation3dZ',
  fov_schedule: 'fov',
  near_schedule: 'near',
  far_schedule: 'far',
  aspect_ratio_schedule: 'aspectRatio',
} as const;

const flipSchedules = {
  perspective_flip_theta: 'perspectiveFlipTheta',
  perspective_flip_phi: 'perspectiveFlipPhi',
  perspective_flip_gamma: 'perspectiveFlipGamma',
  perspective_flip_fv: 'perspectiveFlipFv',
} as const;

/** What the importer lends: reading a field (marking it used), recording where a value came from, listing a value not carried. */
export interface CameraImportContext {
  take(key: string): unknown;
  carried(field: Array<string | number>, key: string): void;
  list(key: string, line: string): void;
  note(line: string): void;
  text(value: unknown): string | undefined;
  preview(value: unknown): string;
}

/** The schedules, settings and notes of the camera; `mode3d` when the file's animation_mode is 3D. */
export function importCamera(settings: Settings, mode3d: boolean, context: CameraImportContext): Partial<AnimationInput> {
  const { take, carried, list, text, preview } = context;
  const schedules: Record<string, string> = {};
  const carry = (names: Record<string, string>) => {
    for (const [key, ours] of Object.entries(names)) {
      const value = text(take(key));
      if (value === undefined) continue;
      schedules[ours] = value;
      carried(['schedules', ours], key);
    }
  };
  const animation: Partial<AnimationInput> = {};
  if (take('enable_perspective_flip') === true) {
    animation.enablePerspectiveFlip = true;
    carried(['enablePerspectiveFlip'], 'enable_perspective_flip');
    carry(flipSchedules);
  } else {
    // the flip's schedules do nothing while it is off
    for (const key of Object.keys(flipSchedules)) take(key);
  }
  if (!mode3d) return { ...animation, ...(Object.keys(schedules).length > 0 ? { schedules } : {}) };
  animation.animationMode = '3D';
  carry(schedules3d);
  const flag = (key: string, ours: 'aspectRatioUseOldFormula' | 'saveDepthMaps') => {
    const value = take(key);
    if (typeof value !== 'boolean') return;
    animation[ours] = value;
    carried([ours], key);
  };
  flag('aspect_ratio_use_old_formula', 'aspectRatioUseOldFormula');
  flag('save_depth_maps', 'saveDepthMaps');
  const choice = <T extends string>(key: string, ours: 'paddingMode' | 'samplingMode', allowed: readonly T[]) => {
    const value = text(take(key));
    if (value === undefined) return;
    if ((allowed as readonly string[]).includes(value)) {
      (animation as Record<string, unknown>)[ours] = value;
      carried([ours], key);
    } else list(key, `${key} ${preview(value)} (not one of ${allowed.join(', ')}; using the default)`);
  };
  choice('padding_mode', 'paddingMode', paddingModes);
  choice('sampling_mode', 'samplingMode', samplingModes);
  animation.depth = depthSettings(settings, context);
  return { ...animation, schedules };
}

/** depth_algorithm and use_depth_warping; the user's depth model is not in the file, so the bundled one stands in. */
function depthSettings(settings: Settings, context: CameraImportContext): NonNullable<AnimationInput['depth']> {
  const { take, carried, list, note, text, preview } = context;
  const depth: NonNullable<AnimationInput['depth']> = {};
  const warping = take('use_depth_warping');
  if (typeof warping === 'boolean') {
    depth.warping = warping;
    carried(['depth', 'warping'], 'use_depth_warping');
  }
  // only the two "(old)" algorithms blend MiDaS and AdaBins by it, which a single depth model does not
  take('midas_weight');
  const algorithm = text(take('depth_algorithm'));
  if (algorithm !== undefined && depthTransform(algorithm) === undefined) list('depth_algorithm', `depth_algorithm ${preview(algorithm)} (not one of Deforum's depth algorithms; using Midas-3-Hybrid)`);
  else if (algorithm !== undefined) {
    depth.algorithm = algorithm;
    carried(['depth', 'algorithm'], 'depth_algorithm');
  }
  if (depth.warping !== false || settings.save_depth_maps === true) {
    note(`depth_algorithm ${preview(algorithm ?? 'Midas-3-Hybrid')}: depth from the bundled model tiny-depth with that algorithm's normalisation (set depth.model to an ONNX depth model of your own)`);
  }
  return depth;
}
