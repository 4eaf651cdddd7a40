/**
 * OpenCV 4.6's `cv2.resize` of 8-bit images, ported so that the result is byte-identical to Debian's python3-opencv
 * (x86-64, 128-bit SIMD baseline): the ControlNet preprocessors resize with it before and after detection
 * (docs/sd-pipeline.md, canny preprocessor, "Resize and the sub-pixel ambiguity"). Written from the algorithms of
 * imgproc/src/resize.cpp:
 * - `nearest`: source index `floor(d·src/dst)`, clamped;
 * - `linear` and `cubic`: separable, 11-bit fixed-point weights (`cvRound(w·2048)` of float32 weights), an exact
 *   integer horizontal pass over edge-clamped taps; the vertical linear pass is `((b0·(S0>>4))>>16) + …` as OpenCV's
 *   own 8-bit code, the vertical cubic pass is float32 (`rint(S0·b0 + (S1·b1 + (S2·b2 + S3·b3)))`, b = w·2⁻²²) on the
 *   values the SIMD loop covers and the integer `(Σ + 2²¹) >> 22` on the rest of the row;
 * - `area`: when shrinking, the exact integer-factor average (`(a+b+c+d+2)>>2` at 2×) or float32 cell weights from
 *   `computeResizeAreaTab`; when enlarging an axis, OpenCV's linear emulation with area-style offsets.
 * An unchanged size is a copy, as `cv2.resize` does.
 */
import { createMat8, type Mat8 } from './cv-mat.js';
import { cvRound } from './opencv-raster.js';

export type Interpolation = 'nearest' | 'linear' | 'cubic' | 'area';

const f32 = Math.fround;
const COEF_SCALE = 2048; // INTER_RESIZE_COEF_SCALE, 1 << 11
/** Values of a row the 128-bit `VResizeCubicVec_32s8u` loop covers (two float32×4 vectors a step). */
const CUBIC_SIMD_STEP = 8;

const byte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : v);
const clampIndex = (i: number, size: number) => (i < 0 ? 0 : i >= size ? size - 1 : i);

export function cvResize(src: Mat8, width: number, height: number, interpolation: Interpolation): Mat8 {
  if (width === src.width && height === src.height) return { ...src, data: src.data.slice() };
  const invX = width / src.width;
  const invY = height / src.height;
  const scaleX = 1 / invX;
  const scaleY = 1 / invY;
  if (interpolation === 'nearest') return resizeNearest(src, width, height, scaleX, scaleY);
  const iscaleX = cvRound(scaleX);
  const iscaleY = cvRound(scaleY);
  const areaFast = Math.abs(scaleX - iscaleX) < Number.EPSILON && Math.abs(scaleY - iscaleY) < Number.EPSILON;
  // OpenCV: at exactly ½ on both axes linear is the 2× area average
  const mode = interpolation === 'linear' && areaFast && iscaleX === 2 && iscaleY === 2 ? 'area' : interpolation;
  if (mode === 'area' && scaleX >= 1 && scaleY >= 1) {
    return areaFast ? resizeAreaFast(src, width, height, iscaleX, iscaleY) : resizeArea(src, width, height, scaleX, scaleY);
  }
  return resizeSeparable(src, width, height, mode);
}

function resizeNearest(src: Mat8, width: number, height: number, scaleX: number, scaleY: number): Mat8 {
  const { channels: cn } = src;
  const dst = createMat8(width, height, cn);
  const xofs = Array.from({ length: width }, (_, x) => Math.min(Math.floor(x * scaleX), src.width - 1) * cn);
  for (let y = 0; y < height; y++) {
    const row = Math.min(Math.floor(y * scaleY), src.height - 1) * src.width * cn;
    for (let x = 0, o = y * width * cn; x < width; x++) for (let c = 0; c < cn; c++) dst.data[o++] = src.data[row + xofs[x] + c];
  }
  return dst;
}

/** interpolateCubic (A = −0.75) in float32, as OpenCV evaluates it. */
function cubicWeights(x: number): number[] {
  const a = -0.75;
  const x1 = f32(x + 1);
  const c0 = f32(f32(f32(f32(f32(f32(a * x1) + 3.75) * x1) - 6) * x1) + 3);
  const inner = (t: number) => f32(f32(f32(f32(f32(1.25 * t) - 2.25) * t) * t) + 1);
  const c1 = inner(x);
  const c2 = inner(f32(1 - x));
  return [c0, c1, c2, f32(f32(f32(1 - c0) - c1) - c2)];
}

interface Taps {
  /** First source index of each destination index (before the kernel's offset). */
  offsets: Int32Array;
  /** ksize fixed-point weights per destination index. */
  weights: Int32Array;
}

/** Source offsets and 11-bit weights along one axis (the `xofs`/`ialpha`, `yofs`/`ibeta` tables of hal::resize). */
function taps(dsize: number, ssize: number, mode: 'linear' | 'cubic' | 'area', clampEdges: boolean): Taps {
  const ksize = mode === 'cubic' ? 4 : 2;
  const inv = dsize / ssize;
  const scale = 1 / inv;
  const offsets = new Int32Array(dsize);
  const weights = new Int32Array(dsize * ksize);
  for (let d = 0; d < dsize; d++) {
    let s: number;
    let f: number;
    if (mode !== 'area') {
      f = f32((d + 0.5) * scale - 0.5);
      s = Math.floor(f);
      f = f32(f - s);
    } else {
      s = Math.floor(d * scale);
      f = f32(d + 1 - (s + 1) * inv);
      f = f <= 0 ? 0 : f32(f - Math.floor(f));
    }
    // Only the horizontal table snaps linear taps to the edges; rows are clamped when read.
    if (clampEdges && mode !== 'cubic') {
      if (s < 0) [s, f] = [0, 0];
      if (s >= ssize - 1) [s, f] = [ssize - 1, 0];
    }
    offsets[d] = s;
    const w = mode === 'cubic' ? cubicWeights(f) : [f32(1 - f), f];
    for (let k = 0; k < ksize; k++) weights[d * ksize + k] = cvRound(f32(w[k] * COEF_SCALE));
  }
  return { offsets, weights };
}

function resizeSeparable(src: Mat8, width: number, height: number, mode: 'linear' | 'cubic' | 'area'): Mat8 {
  const { channels: cn, width: sw, height: sh, data } = src;
  const ksize = mode === 'cubic' ? 4 : 2;
  const first = mode === 'cubic' ? -1 : 0; // the kernel's first tap relative to the offset
  const xt = taps(width, sw, mode, true);
  const yt = taps(height, sh, mode, false);
  const rowValues = width * cn;

  // Horizontal pass of one source row: exact integers (taps clamped to the edge pixel, as HResizeCubic's border loop).
  const rows = new Map<number, Float64Array>();
  const horizontal = (sy: number): Float64Array => {
    let out = rows.get(sy);
    if (out) return out;
    out = new Float64Array(rowValues);
    const base = sy * sw * cn;
    for (let dx = 0; dx < width; dx++) {
      for (let k = 0; k < ksize; k++) {
        const w = xt.weights[dx * ksize + k];
        if (w === 0) continue;
        const sx = clampIndex(xt.offsets[dx] + first + k, sw);
        for (let c = 0; c < cn; c++) out[dx * cn + c] += data[base + sx * cn + c] * w;
      }
    }
    rows.set(sy, out);
    return out;
  };

  const dst = createMat8(width, height, cn);
  const simdEnd = Math.floor(rowValues / CUBIC_SIMD_STEP) * CUBIC_SIMD_STEP;
  for (let dy = 0; dy < height; dy++) {
    const b = yt.weights.subarray(dy * ksize, dy * ksize + ksize);
    const s = Array.from({ length: ksize }, (_, k) => horizontal(clampIndex(yt.offsets[dy] + first + k, sh)));
    const out = dy * rowValues;
    if (mode === 'cubic') {
      const bf = Array.from(b, (w) => f32(w / 2 ** 22));
      for (let x = 0; x < rowValues; x++) {
        const v =
          x < simdEnd
            ? cvRound(f32(f32(s[0][x] * bf[0]) + f32(f32(s[1][x] * bf[1]) + f32(f32(s[2][x] * bf[2]) + f32(s[3][x] * bf[3])))))
            : Math.floor((s[0][x] * b[0] + s[1][x] * b[1] + s[2][x] * b[2] + s[3][x] * b[3] + 2 ** 21) / 2 ** 22);
        dst.data[out + x] = byte(v);
      }
    } else {
      for (let x = 0; x < rowValues; x++) {
        const v = (Math.floor((b[0] * Math.floor(s[0][x] / 16)) / 65536) + Math.floor((b[1] * Math.floor(s[1][x] / 16)) / 65536) + 2) >> 2;
        dst.data[out + x] = byte(v);
      }
    }
    for (const sy of rows.keys()) if (sy < yt.offsets[dy] + first) rows.delete(sy);
  }
  return dst;
}

/**
 * Integer factors (the image then divides exactly into ix×iy cells): the mean of each cell; at 2×2 OpenCV rounds half
 * up, otherwise it is `cvRound(Σ·(1/area))` in float32.
 */
function resizeAreaFast(src: Mat8, width: number, height: number, ix: number, iy: number): Mat8 {
  const { channels: cn, width: sw, data } = src;
  const dst = createMat8(width, height, cn);
  const scale = f32(1 / (ix * iy));
  const halvesUp = ix === 2 && iy === 2 && cn !== 2;
  for (let dy = 0; dy < height; dy++) {
    for (let dx = 0; dx < width; dx++) {
      for (let c = 0; c < cn; c++) {
        let sum = 0;
        for (let sy = dy * iy; sy < dy * iy + iy; sy++) for (let sx = dx * ix; sx < dx * ix + ix; sx++) sum += data[(sy * sw + sx) * cn + c];
        dst.data[(dy * width + dx) * cn + c] = halvesUp ? (sum + 2) >> 2 : byte(cvRound(f32(sum * scale)));
      }
    }
  }
  return dst;
}

interface AreaTap {
  d: number;
  s: number;
  alpha: number;
}

/** computeResizeAreaTab: each destination cell's source pixels with their float32 share of the cell. */
function areaTaps(ssize: number, dsize: number, scale: number): AreaTap[] {
  const tab: AreaTap[] = [];
  for (let d = 0; d < dsize; d++) {
    const fs1 = d * scale;
    const fs2 = fs1 + scale;
    const cellWidth = Math.min(scale, ssize - fs1);
    let s1 = Math.ceil(fs1);
    const s2 = Math.min(Math.floor(fs2), ssize - 1);
    s1 = Math.min(s1, s2);
    if (s1 - fs1 > 1e-3) tab.push({ d, s: s1 - 1, alpha: f32((s1 - fs1) / cellWidth) });
    for (let s = s1; s < s2; s++) tab.push({ d, s, alpha: f32(1 / cellWidth) });
    if (fs2 - s2 > 1e-3) tab.push({ d, s: s2, alpha: f32(Math.min(Math.min(fs2 - s2, 1), cellWidth) / cellWidth) });
  }
  return tab;
}

/** Non-integer shrinking: float32 weighted sums along each source row, then across the rows of a cell. */
function resizeArea(src: Mat8, width: number, height: number, scaleX: number, scaleY: number): Mat8 {
  const { channels: cn, width: sw, height: sh, data } = src;
  const xtab = areaTaps(sw, width, scaleX);
  const ytab = areaTaps(sh, height, scaleY);
  const dst = createMat8(width, height, cn);
  const rowValues = width * cn;
  const buf = new Float32Array(rowValues);
  const sum = new Float32Array(rowValues);
  const store = (dy: number) => {
    for (let x = 0; x < rowValues; x++) dst.data[dy * rowValues + x] = byte(cvRound(sum[x]));
  };
  let previous = ytab[0].d;
  for (const { d: dy, s: sy, alpha: beta } of ytab) {
    buf.fill(0);
    const base = sy * sw * cn;
    for (const { d, s, alpha } of xtab) {
      for (let c = 0; c < cn; c++) buf[d * cn + c] = f32(buf[d * cn + c] + f32(data[base + s * cn + c] * alpha));
    }
    if (dy !== previous) {
      store(previous);
      for (let x = 0; x < rowValues; x++) sum[x] = f32(beta * buf[x]);
      previous = dy;
    } else {
      for (let x = 0; x < rowValues; x++) sum[x] = f32(sum[x] + f32(beta * buf[x]));
    }
  }
  store(previous);
  return dst;
}
