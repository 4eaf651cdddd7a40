/**
 * A depth map as the grey levels of a saved depth image. Deforum's `DepthModel.to_image` scales the map between its
 * minimum and maximum, `(d − min) / max(1e-8, max − min)`, to 0…255 and truncates (a render passes the running minimum
 * and maximum of all frames so far; one map alone, its own); we write the same scale at 16 bits (0…65535) into a grey
 * PNG. For inverse-depth models (Depth-Anything, MiDaS, the bundled tiny-depth) white is nearest.
 */
export interface DepthRange {
  min: number;
  max: number;
}

/** The finite extremes of a map (NaN and ±∞ are skipped; an all-invalid map gives 0…0). */
export function depthRange(map: Float32Array): DepthRange {
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/** 16-bit grey levels of a map; values outside the range clamp, NaN is black. */
export function depthToGrey16(map: Float32Array, range: DepthRange = depthRange(map)): Uint16Array {
  const span = Math.max(1e-8, range.max - range.min);
  const out = new Uint16Array(map.length);
  for (let i = 0; i < map.length; i++) {
    const level = ((map[i] - range.min) / span) * 65535;
    out[i] = level > 0 ? Math.trunc(Math.min(level, 65535)) : 0;
  }
  return out;
}
