/**
 * `torch.nn.functional.interpolate(map, size, mode='bicubic', align_corners=False)` of one H×W map: how Deforum
 * brings a depth prediction back to the frame size (MidasDepth.predict, and the transformers pipeline behind the Tok
 * fork's Depth-Anything). Source coordinates `(i + 0.5)·in/out − 0.5`, Keys cubic weights with A = −0.75 from the
 * coordinate's fraction (unclamped, so the first output pixel extrapolates), the four taps clamped to the edge; along
 * x, then along y. Computed in double and rounded once to float32: within 2e-6 of the map's largest value of torch
 * 1.13's float32 result (test/depth/bicubic-resize.test.ts), far less than two runtimes' runs of one network differ.
 */
const A = -0.75;

interface Taps {
  index: Int32Array; // 4 per output position
  weight: Float64Array;
}

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  for (let o = 0; o < outSize; o++) {
    const real = scale * (o + 0.5) - 0.5;
    const base = Math.floor(real);
    const t = real - base;
    const distances = [t + 1, t, 1 - t, 2 - t];
    for (let k = 0; k < 4; k++) {
      const x = distances[k];
      index[o * 4 + k] = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      weight[o * 4 + k] = x <= 1 ? ((A + 2) * x - (A + 3)) * x * x + 1 : ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }
  }
  return { index, weight };
}

/** A row-major H×W float32 map resized to outHeight×outWidth. */
export function bicubicResize(map: Float32Array, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  if (map.length !== height * width) throw new RangeError(`map has ${map.length} values, expected ${height}×${width}`);
  const xs = taps(width, outWidth);
  const ys = taps(height, outHeight);
  // along x first: one resized row per input row
  const rows = new Float64Array(height * outWidth);
  for (let y = 0; y < height; y++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += xs.weight[ox * 4 + k] * map[y * width + xs.index[ox * 4 + k]];
      rows[y * outWidth + ox] = sum;
    }
  }
  const out = new Float32Array(outHeight * outWidth);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += ys.weight[oy * 4 + k] * rows[ys.index[oy * 4 + k] * outWidth + ox];
      out[oy * outWidth + ox] = sum;
    }
  }
  return out;
}
