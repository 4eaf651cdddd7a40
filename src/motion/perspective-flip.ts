import type { RawImage } from '../raw-image.js';
import { warpImage, type Matrix3 } from './warp.js';

/**
 * Deforum's perspective flip (`enable_perspective_flip`): the frame seen as a card rotated in 3D by theta (about the
 * view axis), phi (about x) and gamma (about y), in degrees, through a camera of field of view `fv` degrees
 * (animation.py `warpMatrix`, `get_flip_perspective_matrix`, `flip_3d_perspective`; Deforum's defaults 0, 0, 0, 53).
 */
export interface PerspectiveFlip {
  theta: number;
  phi: number;
  gamma: number;
  fv: number;
}

/** The flip's border: Deforum passes `BORDER_WRAP` when its `border` is `wrap`, else `BORDER_REPLICATE`. */
export type FlipBorder = 'replicate' | 'wrap';

type Matrix4 = number[];

// numpy's deg2rad multiplies by the folded constant π/180.
const deg2rad = (degrees: number) => degrees * (Math.PI / 180);

/** Row-major n×n product, summing k in order as a plain matmul does. */
function matmul(a: readonly number[], b: readonly number[], n: number): number[] {
  const out = new Array<number>(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = a[i * n] * b[j];
      for (let k = 1; k < n; k++) s += a[i * n + k] * b[k * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

const eye4 = (): Matrix4 => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** Deforum's `getRotationMatrixManual([phi, gamma, theta])`: Rx(phi) · Ry(gamma) · Rz(theta), homogeneous. */
function rotation(phiDeg: number, gammaDeg: number, thetaDeg: number): Matrix4 {
  const [phi, gamma, theta] = [deg2rad(phiDeg), deg2rad(gammaDeg), deg2rad(thetaDeg)];
  const rx = eye4();
  rx[5] = rx[10] = Math.cos(phi);
  rx[6] = -Math.sin(phi);
  rx[9] = Math.sin(phi);
  const ry = eye4();
  ry[0] = ry[10] = Math.cos(gamma);
  ry[2] = Math.sin(gamma);
  ry[8] = -Math.sin(gamma);
  const rz = eye4();
  rz[0] = rz[5] = Math.cos(theta);
  rz[1] = -Math.sin(theta);
  rz[4] = Math.sin(theta);
  return matmul(matmul(rx, ry, 4), rz, 4);
}

/** `cv2.perspectiveTransform` of a 3D point by a 4×4 matrix (core/matmul: multiplies by 1/w; 0 when |w| ≤ FLT_EPSILON). */
function projectPoint(m: Matrix4, x: number, y: number, z: number): [number, number] {
  const w = x * m[12] + y * m[13] + z * m[14] + m[15];
  if (!(Math.abs(w) > 1.1920928955078125e-7)) return [0, 0];
  const r = 1 / w;
  return [(x * m[0] + y * m[1] + z * m[2] + m[3]) * r, (x * m[4] + y * m[5] + z * m[6] + m[7]) * r];
}

/**
 * OpenCV's `solve(A, b, DECOMP_LU)` (core/matrix_decomp.cpp `LUImpl`: partial pivoting, rows scaled by −1/pivot,
 * back substitution times the stored reciprocal); a singular system (pivot < 100·DBL_EPSILON) gives zeros.
 */
function solveLU(a: number[], b: number[], m: number): number[] {
  for (let i = 0; i < m; i++) {
    let k = i;
    for (let j = i + 1; j < m; j++) if (Math.abs(a[j * m + i]) > Math.abs(a[k * m + i])) k = j;
    if (Math.abs(a[k * m + i]) < 100 * Number.EPSILON) return new Array<number>(m).fill(0);
    if (k !== i) {
      for (let j = i; j < m; j++) [a[i * m + j], a[k * m + j]] = [a[k * m + j], a[i * m + j]];
      [b[i], b[k]] = [b[k], b[i]];
    }
    const d = -1 / a[i * m + i];
    for (let j = i + 1; j < m; j++) {
      const alpha = a[j * m + i] * d;
      for (let c = i + 1; c < m; c++) a[j * m + c] += alpha * a[i * m + c];
      b[j] += alpha * b[i];
    }
    a[i * m + i] = -d;
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = b[i];
    for (let c = i + 1; c < m; c++) s -= a[i * m + c] * b[c];
    b[i] = s * a[i * m + i];
  }
  return b;
}

/**
 * `cv2.getPerspectiveTransform(src, dst)` for four float32 point pairs (imgproc/imgwarp.cpp): the 8×8 system whose
 * products `-src·dst` are taken in float, as the C++ multiplies two `Point2f` coordinates.
 */
function perspectiveTransform(src: readonly (readonly [number, number])[], dst: readonly (readonly [number, number])[]): Matrix3 {
  const a = new Array<number>(64).fill(0);
  const b = new Array<number>(8);
  for (let i = 0; i < 4; i++) {
    const [sx, sy] = src[i];
    const [dx, dy] = dst[i];
    a[i * 8] = a[(i + 4) * 8 + 3] = sx;
    a[i * 8 + 1] = a[(i + 4) * 8 + 4] = sy;
    a[i * 8 + 2] = a[(i + 4) * 8 + 5] = 1;
    a[i * 8 + 6] = Math.fround(-sx * dx);
    a[i * 8 + 7] = Math.fround(-sy * dx);
    a[(i + 4) * 8 + 6] = Math.fround(-sx * dy);
    a[(i + 4) * 8 + 7] = Math.fround(-sy * dy);
    b[i] = dx;
    b[i + 4] = dy;
  }
  const x = solveLU(a, b, 8);
  return [x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], 1];
}

/**
 * The forward homography Deforum's `get_flip_perspective_matrix(W, H, …)` returns (float64): the frame's corners
 * rotated and projected by `warpMatrix(W, H, theta, phi, gamma, 1, fv)`, fitted with `getPerspectiveTransform`, then
 * shifted by the float32 `((W − side)/2, (H − side)/2)` that centres the projected square of side `d / cos(fv/2)`.
 */
export function perspectiveFlipMatrix(width: number, height: number, flip: PerspectiveFlip): Matrix3 {
  const fvHalf = deg2rad(flip.fv / 2);
  const d = Math.sqrt(width * width + height * height);
  const side = d / Math.cos(fvHalf);
  const h = d / (2 * Math.sin(fvHalf));
  const near = h - d / 2;
  const far = h + d / 2;
  const t = eye4();
  t[11] = -h;
  const p = eye4();
  p[0] = p[5] = 1 / Math.tan(fvHalf);
  p[10] = -(far + near) / (far - near);
  p[11] = -(2 * far * near) / (far - near);
  p[14] = -1;
  const f = matmul(matmul(p, t, 4), rotation(flip.phi, flip.gamma, flip.theta), 4);
  const corners: [number, number][] = [[-width / 2, height / 2], [width / 2, height / 2], [width / 2, -height / 2], [-width / 2, -height / 2]];
  const src = corners.map(([x, y]) => [Math.fround(x + width / 2), Math.fround(y + height / 2)] as const);
  const dst = corners.map(([x, y]) => {
    const [u, v] = projectPoint(f, x, y, 0);
    return [Math.fround((u + 1) * (0.5 * side)), Math.fround((v + 1) * (0.5 * side))] as const;
  });
  const m = perspectiveTransform(src, dst);
  const post = [1, 0, Math.fround((width - side) / 2), 0, 1, Math.fround((height - side) / 2), 0, 0, 1];
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = matmul(m, post, 3);
  return [m0, m1, m2, m3, m4, m5, m6, m7, m8];
}

/** Deforum's `flip_3d_perspective`: `cv2.warpPerspective(img, matrix, (W, H), INTER_LINEAR, border)`. */
export function flipPerspective(img: RawImage, flip: PerspectiveFlip, border: FlipBorder = 'replicate'): RawImage {
  return warpImage(img, perspectiveFlipMatrix(img.width, img.height, flip), border);
}
