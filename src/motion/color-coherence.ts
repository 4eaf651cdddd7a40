import type { RawImage } from '../raw-image.js';
import { hsvToRgb, labToRgb, rgbToHsv, rgbToLab } from './color-space.js';
import { matchChannel } from './histogram-match.js';

/** Deforum's colour coherence modes (deforum.md §d; `None`, `RGB`, `HSV`, `LAB` there). */
export const colorCoherenceModes = ['none', 'rgb', 'hsv', 'lab'] as const;
export type ColorCoherence = (typeof colorCoherenceModes)[number];

/**
 * Deforum's `maintain_colors` (`colors.py`): histogram-match `img` to `sample` per channel in the mode's colour space.
 * The sample may have any size. Deforum passes BGR arrays to OpenCV's RGB2HSV/RGB2LAB (deforum.md §d), so the
 * conversions see blue as red; we reproduce that, so a frame comes out as Deforum's does (the swap moves where hue
 * wraps and how L weighs red and blue). With that, outputs equal Deforum's byte for byte given OpenCV 4.6's 8-bit
 * conversions and skimage's `match_histograms` (test/fixtures/motion-color.json).
 */
export function maintainColors(img: RawImage, sample: RawImage, mode: ColorCoherence): RawImage {
  if (mode === 'none') return img;
  if (img.channels !== 3 || sample.channels !== 3) {
    throw new RangeError(`colour coherence needs RGB images (got ${img.channels} and ${sample.channels} channels)`);
  }
  // Deforum's BGR arrays under RGB-named conversions: the channel OpenCV reads as red is our blue (index 2).
  const deforumRed = 2;
  const [toSpace, fromSpace] =
    mode === 'hsv' ? [rgbToHsv, hsvToRgb] : mode === 'lab' ? [rgbToLab, labToRgb] : [undefined, undefined];
  const src = toSpace ? toSpace(img.data, deforumRed) : img.data;
  const ref = toSpace ? toSpace(sample.data, deforumRed) : sample.data;
  const matched = new Uint8Array(src.length);
  for (let c = 0; c < 3; c++) {
    const channel = matchChannel(src, ref, 3, c);
    for (let i = 0, p = c; i < channel.length; i++, p += 3) matched[p] = channel[i];
  }
  return { ...img, data: fromSpace ? fromSpace(matched, deforumRed) : matched };
}
