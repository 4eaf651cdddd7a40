/**
 * skimage's `match_histograms(image, reference, channel_axis=-1)` for 8-bit interleaved images (skimage 0.19–0.24,
 * `_match_cumulative_cdf`): per channel, each source value goes to the reference value at the same quantile, with
 * quantiles from cumulative counts of the distinct values and `np.interp` between them. skimage writes the float
 * result into a uint8 array, which truncates. The two images may differ in size.
 */
export function matchHistograms(source: Uint8Array, reference: Uint8Array, channels: number): Uint8Array {
  const srcCounts = histograms(source, channels);
  const refCounts = histograms(reference, channels);
  const luts = new Uint8Array(256 * channels);
  for (let c = 0; c < channels; c++) {
    buildLut(srcCounts.subarray(c * 256, c * 256 + 256), source.length / channels, refCounts.subarray(c * 256, c * 256 + 256), reference.length / channels, luts.subarray(c * 256, c * 256 + 256));
  }
  const out = new Uint8Array(source.length);
  for (let p = 0; p < source.length; p += channels) {
    for (let c = 0; c < channels; c++) out[p + c] = luts[c * 256 + source[p + c]];
  }
  return out;
}

/** One 256-bin histogram per channel, channel after channel. */
function histograms(data: Uint8Array, channels: number): Uint32Array {
  const counts = new Uint32Array(256 * channels);
  for (let p = 0; p < data.length; p += channels) {
    for (let c = 0; c < channels; c++) counts[c * 256 + data[p + c]]++;
  }
  return counts;
}

function buildLut(srcCounts: Uint32Array, srcSize: number, refCounts: Uint32Array, refSize: number, lut: Uint8Array): void {
  // The reference's distinct values and their cumulative quantiles.
  const refValues: number[] = [];
  const refQuantiles: number[] = [];
  let cumulative = 0;
  for (let v = 0; v < 256; v++) {
    if (refCounts[v] === 0) continue;
    cumulative += refCounts[v];
    refValues.push(v);
    refQuantiles.push(cumulative / refSize);
  }
  cumulative = 0;
  for (let v = 0; v < 256; v++) {
    if (srcCounts[v] === 0) continue;
    cumulative += srcCounts[v];
    lut[v] = interp(cumulative / srcSize, refQuantiles, refValues);
  }
}

/** `np.interp(x, xp, fp)` for increasing xp, in numpy's arithmetic order (numpy/core/src/multiarray/compiled_base.c). */
function interp(x: number, xp: number[], fp: number[]): number {
  const last = xp.length - 1;
  if (x < xp[0]) return fp[0];
  if (x >= xp[last]) return fp[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  if (xp[lo] === x) return fp[lo];
  const slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
  return slope * (x - xp[lo]) + fp[lo];
}
