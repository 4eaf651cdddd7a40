/**
 * OpenCV's 8-bit colour conversions (imgproc/color_hsv, color_lab), which Deforum's colour coherence runs through
 * (docs/deforum.md §d, `colors.py`). Each function converts one interleaved 3-channel buffer to another; `red` says which
 * channel holds red (0 for RGB order, 2 for BGR order) in the RGB-side buffer.
 */

import { roundHalfEven, saturateByte } from './rounding.js';

const f32 = Math.fround;

// --- HSV, H in 0..180 (COLOR_RGB2HSV / COLOR_HSV2RGB) ---

const HSV_SHIFT = 12;
const HSV_HALF = 1 << (HSV_SHIFT - 1);
// OpenCV's division tables: sdiv[v] = round(255·2^12 / v), hdiv[d] = round(180·2^12 / (6d)).
const sdivTable = Int32Array.from({ length: 256 }, (_, i) => (i === 0 ? 0 : roundHalfEven((255 << HSV_SHIFT) / i)));
const hdivTable = Int32Array.from({ length: 256 }, (_, i) => (i === 0 ? 0 : roundHalfEven((180 << HSV_SHIFT) / (6 * i))));

export function rgbToHsv(src: Uint8Array, red: 0 | 2): Uint8Array {
  const dst = new Uint8Array(src.length);
  const blue = 2 - red;
  for (let i = 0; i < src.length; i += 3) {
    const r = src[i + red];
    const g = src[i + 1];
    const b = src[i + blue];
    const v = Math.max(r, g, b);
    const diff = v - Math.min(r, g, b);
    let h = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
    h = (h * hdivTable[diff] + HSV_HALF) >> HSV_SHIFT;
    if (h < 0) h += 180;
    dst[i] = h;
    dst[i + 1] = (diff * sdivTable[v] + HSV_HALF) >> HSV_SHIFT;
    dst[i + 2] = v;
  }
  return dst;
}

// Which of [v, p, q, t] goes to blue, green and red in each 60° sector (OpenCV's sector_data).
const SECTORS = [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]];
const HUE_SCALE = f32(6 / 180);
const INV_255 = f32(1 / 255);

// OpenCV's AVX2 build converts 32 pixels at a time; the rest of each row takes the scalar code.
const HSV_VECTOR_PIXELS = 32;

/**
 * HSV2RGB_b. Its vector path computes in float32 with s and v in 0..1, scales back by 255 and truncates; the scalar
 * path, for the last `width % 32` pixels of each row, keeps v in 0..255 and rounds. `width` is the row length.
 */
export function hsvToRgb(src: Uint8Array, red: 0 | 2, width: number): Uint8Array {
  const dst = new Uint8Array(src.length);
  const blue = 2 - red;
  const tab = new Float32Array(4);
  const vectorWidth = width - (width % HSV_VECTOR_PIXELS);
  for (let i = 0, x = 0; i < src.length; i += 3, x = x + 1 === width ? 0 : x + 1) {
    const vector = x < vectorWidth;
    const s = f32(src[i + 1] * INV_255);
    const v = vector ? f32(src[i + 2] * INV_255) : src[i + 2];
    let h = f32(src[i] * HUE_SCALE);
    const whole = Math.trunc(h);
    h = f32(h - whole);
    tab[0] = v;
    tab[1] = f32(v * f32(1 - s));
    tab[2] = f32(v * f32(1 - s * h));
    tab[3] = f32(v * f32(1 - s * f32(1 - h)));
    const sec = SECTORS[whole % 6];
    if (vector) {
      dst[i + blue] = f32(tab[sec[0]] * 255);
      dst[i + 1] = f32(tab[sec[1]] * 255);
      dst[i + red] = f32(tab[sec[2]] * 255);
    } else {
      dst[i + blue] = saturateByte(tab[sec[0]]);
      dst[i + 1] = saturateByte(tab[sec[1]]);
      dst[i + red] = saturateByte(tab[sec[2]]);
    }
  }
  return dst;
}

// --- LAB, 8-bit: L·255/100, a+128, b+128, D65, sRGB gamma (COLOR_RGB2LAB / COLOR_LAB2RGB) ---

const LAB_SHIFT = 12;
const GAMMA_SHIFT = 3;
const LAB_SHIFT2 = LAB_SHIFT + GAMMA_SHIFT;
const D65 = [0.950456, 1, 1.088754];
const RGB_TO_XYZ = [0.412453, 0.35758, 0.180423, 0.212671, 0.71516, 0.072169, 0.019334, 0.119193, 0.950227];
const XYZ_TO_RGB = [3.240479, -1.53715, -0.498535, -0.969256, 1.875991, 0.041556, 0.055648, -0.204043, 1.057311];
// CIE's exact constants, as OpenCV 4 uses them: 216/24389, 841/108, 16/116.
const LAB_THRESHOLD = 216 / 24389;
const LAB_SLOPE = 841 / 108;
const LAB_BIAS = 16 / 116;

function srgbToLinear(x: number): number {
  return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
}

function linearToSrgb(x: number): number {
  return x <= 0.0031308 ? 12.92 * x : 1.055 * Math.pow(x, 1 / 2.4) - 0.055;
}

/**
 * The float32 cube root OpenCV's tables are built with (core/softfloat.cpp, after Ken Turkowski's "Computing the cube
 * root"): the mantissa, scaled into [1/8, 1), goes through a quartic rational approximation in double, and the result's
 * mantissa is truncated (not rounded) to 23 bits. Its last-bit errors decide a few table entries.
 */
function cubeRootF32(x: number): number {
  if (x === 0) return 0;
  const e = Math.floor(Math.log2(x));
  const exponent = x / 2 ** e >= 2 ? e + 1 : x / 2 ** e < 1 ? e - 1 : e;
  let shift = exponent % 3;
  if (shift >= 0) shift -= 3;
  const rootExponent = (exponent - shift) / 3 - 1;
  const fr = (x / 2 ** exponent) * 2 ** shift;
  const root =
    ((((45.2548339756803022511987494 * fr + 192.2798368355061050458134625) * fr + 119.1654824285581628956914143) * fr + 13.43250139086239872172837314) * fr + 0.1636161226585754240958355063) /
    ((((14.80884093219134573786480845 * fr + 151.9714051044435648658557668) * fr + 168.5254414101568283957668343) * fr + 33.9905941350215598754191872) * fr + 1);
  // root is in [1/2, 1): keep 24 significant bits by truncation, then place it at the cube root's exponent.
  return (Math.floor(root * 2 ** 24) / 2 ** 24) * 2 ** (rootExponent + 1);
}

// Fixed-point tables of OpenCV's RGB2Lab_b: linearised bytes in 1/8 steps, and the Lab f() in 2^-15 steps, the latter
// built in float32 as OpenCV builds it (checked against cv2 4.6 on all 2^24 colours).
const gammaTable = Uint16Array.from({ length: 256 }, (_, i) => roundHalfEven(255 * (1 << GAMMA_SHIFT) * srgbToLinear(i / 255)));
const CBRT_STEP = f32(1 / (255 * (1 << GAMMA_SHIFT)));
const cbrtTable = Uint16Array.from({ length: (256 * 3) / 2 * (1 << GAMMA_SHIFT) }, (_, i) => {
  const x = f32(CBRT_STEP * i);
  const f = x < f32(LAB_THRESHOLD) ? f32(x * f32(LAB_SLOPE) + f32(LAB_BIAS)) : cubeRootF32(x);
  return roundHalfEven((1 << LAB_SHIFT2) * f);
});
const labCoeffs = RGB_TO_XYZ.map((c, k) => roundHalfEven(((1 << LAB_SHIFT) * c) / D65[Math.floor(k / 3)]));
const L_SCALE = Math.floor((116 * 255 + 50) / 100);
const L_SHIFT = -Math.floor((16 * 255 * (1 << LAB_SHIFT2) + 50) / 100);

export function rgbToLab(src: Uint8Array, red: 0 | 2): Uint8Array {
  const dst = new Uint8Array(src.length);
  const blue = 2 - red;
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8] = labCoeffs;
  const half = 1 << (LAB_SHIFT - 1);
  const half2 = 1 << (LAB_SHIFT2 - 1);
  const abOffset = 128 * (1 << LAB_SHIFT2) + half2;
  for (let i = 0; i < src.length; i += 3) {
    const r = gammaTable[src[i + red]];
    const g = gammaTable[src[i + 1]];
    const b = gammaTable[src[i + blue]];
    const fx = cbrtTable[(r * c0 + g * c1 + b * c2 + half) >> LAB_SHIFT];
    const fy = cbrtTable[(r * c3 + g * c4 + b * c5 + half) >> LAB_SHIFT];
    const fz = cbrtTable[(r * c6 + g * c7 + b * c8 + half) >> LAB_SHIFT];
    // A Uint8Array store wraps, so saturate as OpenCV's saturate_cast<uchar> does.
    const l = (L_SCALE * fy + L_SHIFT + half2) >> LAB_SHIFT2;
    const a = (500 * (fx - fy) + abOffset) >> LAB_SHIFT2;
    const bb = (200 * (fy - fz) + abOffset) >> LAB_SHIFT2;
    dst[i] = l < 0 ? 0 : l > 255 ? 255 : l;
    dst[i + 1] = a < 0 ? 0 : a > 255 ? 255 : a;
    dst[i + 2] = bb < 0 ? 0 : bb > 255 ? 255 : bb;
  }
  return dst;
}

// OpenCV's Lab2RGBinteger (the 8-bit LAB2RGB path): fixed point in 2^-14, tables for L → (y, f(y)), f⁻¹ for x and z,
// and the inverse sRGB gamma over 4096 steps.
const LAB_BASE_SHIFT = 14;
const LAB_BASE = 1 << LAB_BASE_SHIFT;
const INV_GAMMA_SHIFT = 12;
const INV_GAMMA_SIZE = 1 << INV_GAMMA_SHIFT;
const MIN_AB = -8145;
const XYZ_SHIFT = LAB_SHIFT + (LAB_BASE_SHIFT - INV_GAMMA_SHIFT);

/** L byte → y and f(y) in 2^-14, built in float32 as OpenCV builds LabToYF_b. */
const lToY = new Int32Array(256);
const lToFy = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  if (i <= 20) {
    // Linear segment below L = 8: y = L / (29/3)^3, f = 16/116 + (29/3)^3/116 · y.
    lToY[i] = roundHalfEven(f32(f32(i * LAB_BASE * 20 * 9) / f32(17 * 29 * 29 * 29)));
    lToFy[i] = roundHalfEven(f32(LAB_BASE * f32(f32(16 / 116) + f32(f32(i * 5) / f32(3 * 17 * 29)))));
  } else {
    const fy = f32(f32(f32(i * 100 * LAB_BASE) / f32(255 * 116)) + f32(f32(16 * LAB_BASE) / f32(116)));
    lToY[i] = roundHalfEven(f32(f32(f32(fy * fy) * fy) / f32(LAB_BASE * LAB_BASE)));
    lToFy[i] = roundHalfEven(fy);
  }
}

/** f⁻¹ over fixed-point f values from MIN_AB, in C integer arithmetic (divisions truncate toward zero). */
const abToXZ = Int32Array.from({ length: (LAB_BASE * 9) / 4 }, (_, k) => {
  const i = k + MIN_AB;
  if (i <= 3390) return Math.trunc((i * 108) / 841) - Math.trunc((Math.trunc((LAB_BASE * 16) / 116) * 108) / 841);
  return Math.trunc((Math.trunc((i * i) / LAB_BASE) * i) / LAB_BASE);
});

const invGammaTable = Uint16Array.from({ length: INV_GAMMA_SIZE }, (_, i) => roundHalfEven(f32(255 * f32(linearToSrgb(i / INV_GAMMA_SIZE)))));

// XYZ → RGB rows scaled by the white point per column, in 2^-12.
const rgbCoeffs = XYZ_TO_RGB.map((c, k) => roundHalfEven((1 << LAB_SHIFT) * c * D65[k % 3]));

export function labToRgb(src: Uint8Array, red: 0 | 2): Uint8Array {
  const dst = new Uint8Array(src.length);
  const blue = 2 - red;
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8] = rgbCoeffs;
  const half = 1 << (XYZ_SHIFT - 1);
  const top = INV_GAMMA_SIZE - 1;
  const aBias = Math.trunc((128 * LAB_BASE) / 500);
  const bBias = Math.trunc((128 * LAB_BASE) / 200) - 1;
  for (let i = 0; i < src.length; i += 3) {
    const y = lToY[src[i]];
    const fy = lToFy[src[i]];
    // a/500 and b/200 in 2^-14, by OpenCV's multiply-shift approximations.
    const adiv = ((5 * src[i + 1] * 53687 + (1 << 7)) >> 13) - aBias;
    const bdiv = ((src[i + 2] * 41943 + (1 << 4)) >> 9) - bBias;
    const x = abToXZ[fy + adiv - MIN_AB];
    const z = abToXZ[fy - bdiv - MIN_AB];
    const r = (c0 * x + c1 * y + c2 * z + half) >> XYZ_SHIFT;
    const g = (c3 * x + c4 * y + c5 * z + half) >> XYZ_SHIFT;
    const b = (c6 * x + c7 * y + c8 * z + half) >> XYZ_SHIFT;
    dst[i + red] = invGammaTable[r < 0 ? 0 : r > top ? top : r];
    dst[i + 1] = invGammaTable[g < 0 ? 0 : g > top ? top : g];
    dst[i + blue] = invGammaTable[b < 0 ? 0 : b > top ? top : b];
  }
  return dst;
}
