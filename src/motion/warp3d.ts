import type { RawImage } from '../raw-image.js';
import { f32, fma32, linspaceF32, sleefCosf, sleefSinf, sleefTanf } from '../numerics/torch-float32.js';
import { depthToZ, depthTransform, type DepthTransform } from './depth-normalise.js';
import { gridSample, type PaddingMode, type SamplingMode } from './grid-sample.js';

/**
 * Deforum's 3D warp (`anim_frame_warp_3d` → `transform_image_3d_new` / `transform_image_3d_legacy`), computed in
 * float32 exactly as its PyTorch (1.13, CPU) code does: the camera moves by (translation, rotation), every pixel is
 * lifted to z from the depth map, projected through the old and the moved camera, and the image is resampled at the
 * difference with `grid_sample`. docs/deforum-3d.md §1–9.
 */

/** One frame's 3D camera motion and lens, in Deforum's units. */
export interface Motion3D {
  /** Deforum's translation_x/y/z: 1/200 of a unit per step; x > 0 moves content left, z > 0 moves forward. */
  translationX: number;
  translationY: number;
  translationZ: number;
  /** rotation_3d_x/y/z in degrees, Euler "XYZ". */
  rotationX: number;
  rotationY: number;
  rotationZ: number;
  /** Field of view in degrees (−180…180; negative mirrors the projection). */
  fov: number;
  /** near/far only reach NDC z, which the warp discards; kept for the camera's float32 rounding. */
  near: number;
  far: number;
  /** aspect_ratio_schedule; ignored when `aspectRatioUseOldFormula` (then width/height). */
  aspectRatio: number;
  aspectRatioUseOldFormula?: boolean;
}

/** Deforum's 3D defaults (args.py, docs/deforum-3d.md "Deforum 3D defaults"). */
export const defaultMotion3D: Motion3D = {
  translationX: 0,
  translationY: 0,
  translationZ: 1.75,
  rotationX: 0,
  rotationY: 0,
  rotationZ: 0,
  fov: 70,
  near: 200,
  far: 10000,
  aspectRatio: 1,
  aspectRatioUseOldFormula: false,
};

export interface Warp3DOptions {
  /** Deforum's depth_algorithm (case-insensitive); picks the depth normalisation or the legacy path. */
  depthAlgorithm: string;
  padding: PaddingMode;
  sampling: SamplingMode;
}

// Disco Diffusion's translation scale (`TRANSLATION_SCALE = 1.0/200.0`), multiplied in float64.
const TRANSLATION_SCALE = 1 / 200;
// Python's math.radians multiplies by pi/180 in float64; py3d multiplies the float32 fov by (float)(pi/180).
const DEG_TO_RAD = Math.PI / 180;
const DEG_TO_RAD_F32 = f32(Math.PI / 180);
// The legacy path adds this to every colour before sampling (float32).
const LEGACY_BIAS = f32(1 / 512 - 0.0001);

/** A row-major 3×3 float32 matrix. */
export type Matrix3x3 = [number, number, number, number, number, number, number, number, number];

/** 3×3 product as torch's `mm` (OpenBLAS sgemm) computes it: each entry an FMA chain in k order. */
function matmul3(a: Matrix3x3, b: Matrix3x3): Matrix3x3 {
  const out = new Array<number>(9) as Matrix3x3;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) out[i * 3 + j] = fma32(a[i * 3 + 2], b[6 + j], fma32(a[i * 3 + 1], b[3 + j], f32(a[i * 3] * b[j])));
  return out;
}

/** `euler_angles_to_matrix(torch.tensor(radians), "XYZ")` = Rx·Ry·Rz, from angles in degrees. */
export function rotationMatrix(degreesX: number, degreesY: number, degreesZ: number): Matrix3x3 {
  const [cx, cy, cz] = [degreesX, degreesY, degreesZ].map((d) => sleefCosf(f32(d * DEG_TO_RAD)));
  const [sx, sy, sz] = [degreesX, degreesY, degreesZ].map((d) => sleefSinf(f32(d * DEG_TO_RAD)));
  const rx: Matrix3x3 = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const ry: Matrix3x3 = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rz: Matrix3x3 = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  return matmul3(matmul3(rx, ry), rz);
}

/**
 * The x and y scales of py3d's `FoVPerspectiveCameras` projection in float32: `2·near/(max_x − min_x)` and
 * `2·near/(max_y − min_y)` with `max_y = tan(fov/2)·near`, `max_x = max_y·aspect`.
 */
export function projectionScales(fov: number, near: number, aspect: number): { sx: number; sy: number } {
  const n = f32(near);
  const maxY = f32(sleefTanf(f32(f32(f32(fov) * DEG_TO_RAD_F32) / 2)) * n);
  const maxX = f32(maxY * f32(aspect));
  return { sx: f32(f32(2 * n) / f32(maxX + maxX)), sy: f32(f32(2 * n) / f32(maxY + maxY)) };
}

/**
 * The sampling grid (H×W×2, x then y, normalised): the pixel-centre grid of `affine_grid(identity,
 * align_corners=False)` minus the NDC offset `new − old` of each corner-aligned point (x, y, z) between the moved and
 * the still camera. Products and sums follow torch's matrix kernels (FMA chains, docs/deforum-3d.md §5–7).
 */
export function samplingGrid(width: number, height: number, z: Float32Array, motion: Motion3D): Float32Array {
  const aspect = motion.aspectRatioUseOldFormula ? width / height : motion.aspectRatio;
  const { sx, sy } = projectionScales(motion.fov, motion.near, aspect);
  const r = rotationMatrix(motion.rotationX, motion.rotationY, motion.rotationZ);
  const tx = f32(-motion.translationX * TRANSLATION_SCALE);
  const ty = f32(motion.translationY * TRANSLATION_SCALE);
  const tz = f32(-motion.translationZ * TRANSLATION_SCALE);
  // The full projection matrix (row vectors, world→view→NDC): its x and y columns are the rotation's scaled by the
  // projection, its w column the rotation's z column; every other term of the product is an exact zero.
  const mx = [f32(r[0] * sx), f32(r[3] * sx), f32(r[6] * sx), f32(tx * sx)];
  const my = [f32(r[1] * sy), f32(r[4] * sy), f32(r[7] * sy), f32(ty * sy)];
  const mw = [r[2], r[5], r[8], tz];
  const xs = linspaceF32(-1, 1, width);
  const ys = linspaceF32(-1, 1, height);
  const baseX = linspaceF32(-1, 1, width).map((v) => f32(f32(v * (width - 1)) / width));
  const baseY = linspaceF32(-1, 1, height).map((v) => f32(f32(v * (height - 1)) / height));
  const grid = new Float32Array(width * height * 2);
  for (let i = 0, p = 0; i < height; i++) {
    const y = ys[i];
    for (let j = 0; j < width; j++, p++) {
      const x = xs[j];
      const zp = z[p];
      const w = f32(fma32(zp, mw[2], fma32(y, mw[1], f32(x * mw[0]))) + mw[3]);
      const newX = f32(f32(fma32(zp, mx[2], fma32(y, mx[1], f32(x * mx[0]))) + mx[3]) / w);
      const newY = f32(f32(fma32(zp, my[2], fma32(y, my[1], f32(x * my[0]))) + my[3]) / w);
      const oldX = f32(f32(x * sx) / zp);
      const oldY = f32(f32(y * sy) / zp);
      grid[2 * p] = f32(baseX[j] - f32(newX - oldX));
      grid[2 * p + 1] = f32(baseY[i] - f32(newY - oldY));
    }
  }
  return grid;
}

/** `.clamp(0, 255).astype(uint8)`: truncation toward zero; NaN becomes 0 as x86's conversion gives. */
function toByte(v: number): number {
  return v > 0 ? (v < 255 ? Math.trunc(v) : 255) : 0;
}

export interface Warp3DResult {
  image: RawImage;
  /** True when the warp used flat z = 1 (no depth, or Deforum's "Depth tensor invalid" case). */
  flatDepth: boolean;
}

/**
 * Deforum's 3D warp of one frame. `depth` is the depth model's raw output at the image's size (row-major H×W float32)
 * or undefined for flat depth. Throws a RangeError for an algorithm name Deforum does not know.
 */
export function warp3D(img: RawImage, depth: Float32Array | undefined, motion: Motion3D, options: Warp3DOptions): Warp3DResult {
  const transform: DepthTransform | undefined = depthTransform(options.depthAlgorithm);
  if (!transform) throw new RangeError(`unknown depth algorithm ${JSON.stringify(options.depthAlgorithm)}`);
  const { width, height, channels, data } = img;
  if (depth && depth.length !== width * height) throw new RangeError(`depth has ${depth.length} values, the image ${width}×${height} pixels`);
  const { z, flat } = depthToZ(depth, width * height, transform);
  const grid = samplingGrid(width, height, z, motion);
  const bias = transform.kind === 'legacy' ? LEGACY_BIAS : 0;
  const values = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = data[i] + bias;
  const sampled = gridSample({ width, height, channels, data: values }, grid, width, height, options.sampling, options.padding).data;
  const out = new Uint8Array(sampled.length);
  for (let i = 0; i < sampled.length; i++) out[i] = toByte(sampled[i]);
  return { image: { width, height, channels, data: out }, flatDepth: flat };
}
