/**
 * skimage's `match_histograms` for one 8-bit channel (`_match_cumulative_cdf`, skimage 0.19–0.24): each source value
 * goes to the template value at the same quantile, with quantiles from cumulative counts of the distinct values and
 * `np.interp` between them. skimage writes the float result into a uint8 array, which truncates.
 */
export function matchChannel(source: Uint8Array, template: Uint8Array, channels: number, channel: number): Uint8Array {
  const srcCounts = histogram(source, channels, channel);
  const tmplCounts = histogram(template, channels, channel);
  const srcSize = source.length / channels;
  const tmplSize = template.length / channels;
  // The template's distinct values and their cumulative quantiles.
  const tmplValues: number[] = [];
  const tmplQuantiles: number[] = [];
  let cumulative = 0;
  for (let v = 0; v < 256; v++) {
    if (tmplCounts[v] === 0) continue;
    cumulative += tmplCounts[v];
    tmplValues.push(v);
    tmplQuantiles.push(cumulative / tmplSize);
  }
  const lut = new Uint8Array(256);
  cumulative = 0;
  for (let v = 0; v < 256; v++) {
    if (srcCounts[v] === 0) continue;
    cumulative += srcCounts[v];
    lut[v] = interp(cumulative / srcSize, tmplQuantiles, tmplValues);
  }
  const out = new Uint8Array(srcSize);
  for (let i = 0, p = channel; i < srcSize; i++, p += channels) out[i] = lut[source[p]];
  return out;
}

function histogram(data: Uint8Array, channels: number, channel: number): Uint32Array {
  const counts = new Uint32Array(256);
  for (let p = channel; p < data.length; p += channels) counts[data[p]]++;
  return counts;
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
