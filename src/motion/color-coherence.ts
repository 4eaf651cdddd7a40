import type { RawImage } from '../raw-image.js';
import { hsvToRgb, labToRgb, rgbToHsv, rgbToLab } from './color-space.js';
import { matchHistograms } from './histogram-match.js';

/** Deforum's colour coherence modes (docs/deforum.md §d; `None`, `RGB`, `HSV`, `LAB` there). */
export const colorCoherenceModes = ['none', 'lab', 'hsv', 'rgb'] as const;
export type ColorCoherence = (typeof colorCoherenceModes)[number];

/**
 * Deforum's `maintain_colors` (`colors.py`): histogram-match `img` to `sample` per channel in the mode's colour space.
 * The sample may have any size. Deforum passes BGR arrays to OpenCV's RGB2HSV/RGB2LAB (docs/deforum.md §d), so the
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
  if (mode === 'rgb') return { ...img, data: matchHistograms(img.data, sample.data, 3) };
  const matchIn = (toSpace: (data: Uint8Array, red: 0 | 2) => Uint8Array) =>
    matchHistograms(toSpace(img.data, deforumRed), toSpace(sample.data, deforumRed), 3);
  const data = mode === 'hsv' ? hsvToRgb(matchIn(rgbToHsv), deforumRed, img.width) : labToRgb(matchIn(rgbToLab), deforumRed);
  return { ...img, data };
}
