/**
 * A preprocessor's map fitted to the frame as sd-webui-controlnet's `detectmap_proc` and its `high_quality_resize` do
 * (scripts/controlnet.py): the resize modes of pose-fit.ts (sizes `np.round`ed, offsets floored), the map resized
 * - by nearest neighbour when it has 3…199 colours (a segmentation map),
 * - by area when it shrinks (in pixel count), by cubic otherwise,
 * - and, when it is binary (two colours, one below 16 and one above 240), averaged to grey and re-binarised with Otsu;
 *   a map of one-pixel edges (most of it removed by a 3×3 opening) is first thinned by `nake_nms` and after Otsu by
 *   `lvmin_thin` (pruned when it grew), so a canny map stays a map of thin edges.
 * Outer fit fills the frame with the median colour of the map's border pixels.
 */
import { createMat8, type Mat8 } from './cv-mat.js';
import { lvminThin, nakeNms } from './edge-thinning.js';
import type { ResizeMode } from './modes.js';
import { dilate, erode, ONES, thresholdOtsu } from './opencv-morphology.js';
import { cvRound } from './opencv-raster.js';
import { cvResize } from './opencv-resize.js';
import { hwc3 } from './processor-image.js';

function colourCount(image: Mat8): number {
  const colours = new Set<number>();
  for (let i = 0; i < image.data.length; i += 3) colours.add((image.data[i] << 16) | (image.data[i + 1] << 8) | image.data[i + 2]);
  return colours.size;
}

/** Most of a binary map disappears under a 3×3 opening when it is made of one-pixel lines. */
function isOnePixelEdges(image: Mat8): boolean {
  const opened = dilate(erode(image, ONES), ONES);
  let removed = 0;
  let set = 0;
  for (let i = 0; i < image.data.length; i++) {
    if (opened.data[i] < image.data[i]) removed++;
    if (image.data[i] > 127) set++;
  }
  return removed * 2 > set;
}

/** np.mean over the channels in float32, truncated to bytes: one channel. */
function channelMean(image: Mat8): Mat8 {
  const out = createMat8(image.width, image.height, 1);
  for (let p = 0; p < out.data.length; p++) {
    out.data[p] = Math.trunc(Math.fround(Math.fround(Math.fround(image.data[p * 3] + image.data[p * 3 + 1]) + image.data[p * 3 + 2]) / 3));
  }
  return out;
}

/** high_quality_resize of a three-channel map. */
function highQualityResize(map: Mat8, width: number, height: number): Mat8 {
  if (map.width === width && map.height === height) return map;
  const smaller = width * height < map.width * map.height;
  const bigger = width * height > map.width * map.height;
  const colours = colourCount(map);
  let min = 255;
  let max = 0;
  for (const v of map.data) [min, max] = [Math.min(min, v), Math.max(max, v)];
  const binary = colours === 2 && min < 16 && max > 240;
  const onePixelEdges = binary && isOnePixelEdges(map);
  const resized = cvResize(map, width, height, colours > 2 && colours < 200 ? 'nearest' : smaller ? 'area' : 'cubic');
  if (!binary) return resized;
  const grey = channelMean(resized);
  const edges = onePixelEdges ? lvminThin(thresholdOtsu(nakeNms(grey)), bigger) : thresholdOtsu(grey);
  return hwc3(edges);
}

/** The median of the border pixels per channel (np.median, truncated to a byte). */
function borderColour(map: Mat8): number[] {
  const { width, height, data } = map;
  const border: number[] = [];
  const add = (x: number, y: number) => border.push((y * width + x) * 3);
  for (let x = 0; x < width; x++) add(x, 0);
  for (let x = 0; x < width; x++) add(x, height - 1);
  for (let y = 0; y < height; y++) add(0, y);
  for (let y = 0; y < height; y++) add(width - 1, y);
  return [0, 1, 2].map((c) => {
    const values = border.map((o) => data[o + c]).sort((a, b) => a - b);
    const mid = values.length / 2;
    return Math.trunc(values.length % 2 ? values[Math.floor(mid)] : (values[mid - 1] + values[mid]) / 2);
  });
}

/** The size a map is resized to before it is cropped (inner fit) or padded (outer fit) to the frame. */
export function scaledSize(map: { width: number; height: number }, width: number, height: number, mode: ResizeMode): { width: number; height: number } {
  if (mode === 'just-resize') return { width, height };
  const k = (mode === 'outer-fit' ? Math.min : Math.max)(height / map.height, width / map.width);
  return { width: cvRound(map.width * k), height: cvRound(map.height * k) };
}

/** detectmap_proc: the map (any channel count) as the unit feeds it to a width×height frame, three channels. */
export function fitDetectedMap(detected: Mat8, width: number, height: number, mode: ResizeMode): Mat8 {
  const map = hwc3(detected);
  const size = scaledSize(map, width, height, mode);
  const scaled = highQualityResize(map, size.width, size.height);
  if (mode === 'just-resize') return scaled;
  const out = createMat8(width, height, 3);
  if (mode === 'outer-fit') {
    const colour = borderColour(map);
    for (let p = 0; p < width * height; p++) out.data.set(colour, p * 3);
  }
  // outer fit centres the map on the background, inner fit crops its centre
  const [offsetX, offsetY] = mode === 'outer-fit' ? [width - scaled.width, height - scaled.height] : [scaled.width - width, scaled.height - height];
  const [padX, padY] = [Math.max(0, Math.floor(offsetX / 2)), Math.max(0, Math.floor(offsetY / 2))];
  const rows = Math.min(height, scaled.height);
  const columns = Math.min(width, scaled.width);
  for (let y = 0; y < rows; y++) {
    const [from, to] = mode === 'outer-fit' ? [y * scaled.width, (y + padY) * width + padX] : [(y + padY) * scaled.width + padX, y * width];
    out.data.set(scaled.data.subarray(from * 3, (from + columns) * 3), to * 3);
  }
  return out;
}
