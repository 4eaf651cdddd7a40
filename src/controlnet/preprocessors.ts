/**
 * The ControlNet preprocessors computed here, each as sd-webui-controlnet's (scripts/preprocessor/model_free_preprocessors.py,
 * legacy/processor.py; docs/sd-pipeline.md, canny preprocessor): an RGB image in (as Deforum reads a ControlNet frame),
 * the map at the preprocessor's own size out, three channels. Fitting the map to the frame is detectmap-fit.ts.
 */
import { canny } from './canny.js';
import type { Mat8 } from './cv-mat.js';
import { cvResize } from './opencv-resize.js';
import type { Preprocessor, PreprocessorSettings } from './preprocessor-spec.js';
import { hwc3, removePad, resizeImageWithPad, resizedSize } from './processor-image.js';

/** The size of the map a module makes from an image of `width`×`height`, computed before any pixel is. */
export function mapSize(module: Preprocessor, width: number, height: number, settings: PreprocessorSettings): { width: number; height: number } {
  if (module === 'canny') return resizedSize(width, height, settings.processorRes);
  if (module === 'tile_resample' && settings.thresholdA >= 1.1) return tileSize(width, height, settings.thresholdA);
  return { width, height };
}

export function runPreprocessor(module: Preprocessor, image: Mat8, settings: PreprocessorSettings): Mat8 {
  if (module === 'canny') return cannyMap(image, settings);
  if (module === 'tile_resample') return tileResample(image, settings.thresholdA);
  return hwc3(image);
}

/** resize_image_with_pad, `cv2.Canny(img, int(a), int(b))`, GRAY2RGB, padding cut off. */
function cannyMap(image: Mat8, { processorRes, thresholdA, thresholdB }: PreprocessorSettings): Mat8 {
  const padded = resizeImageWithPad(image, processorRes);
  const edges = canny(padded.image, Math.trunc(thresholdA), Math.trunc(thresholdB));
  return hwc3(removePad(edges, padded.width, padded.height));
}

/**
 * tile_resample: unchanged below a rate of 1.1, else INTER_AREA to `int(side / rate)` (at least one pixel, where the
 * extension would fail on an image smaller than the rate).
 */
function tileResample(image: Mat8, rate: number): Mat8 {
  const rgb = hwc3(image);
  if (rate < 1.1) return rgb;
  const size = tileSize(rgb.width, rgb.height, rate);
  return cvResize(rgb, size.width, size.height, 'area');
}

const tileSize = (width: number, height: number, rate: number) => ({ width: Math.max(1, Math.trunc(width / rate)), height: Math.max(1, Math.trunc(height / rate)) });
