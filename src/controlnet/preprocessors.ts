/**
 * The ControlNet preprocessors computed here, each as sd-webui-controlnet's (scripts/preprocessor/model_free_preprocessors.py,
 * legacy/processor.py; docs/sd-pipeline.md, canny preprocessor): an RGB image in (as Deforum reads a ControlNet frame),
 * the map at the preprocessor's own size out, three channels. Fitting the map to the frame is detectmap-fit.ts.
 */
import { canny } from './canny.js';
import type { Mat8 } from './cv-mat.js';
import { cvResize } from './opencv-resize.js';
import type { Preprocessor } from './preprocessor-names.js';
import { hwc3, removePad, resizeImageWithPad } from './processor-image.js';

export interface PreprocessorSettings {
  /** `processor_res`: the shorter side canny resizes to. */
  processorRes: number;
  /** `threshold_a`: canny's low threshold, tile_resample's down-sampling rate. */
  thresholdA: number;
  /** `threshold_b`: canny's high threshold. */
  thresholdB: number;
}

/** The extension's slider defaults: resolution 512, canny 100/200, tile rate 1. */
export function defaultSettings(module: Preprocessor): PreprocessorSettings {
  if (module === 'canny') return { processorRes: 512, thresholdA: 100, thresholdB: 200 };
  return { processorRes: 512, thresholdA: 1, thresholdB: 0 };
}

/** The range of each setting a module reads (the extension's sliders), for messages and checks. */
export const SETTING_RANGES: Record<Preprocessor, Partial<Record<keyof PreprocessorSettings, readonly [number, number]>>> = {
  none: {},
  canny: { processorRes: [64, 2048], thresholdA: [1, 255], thresholdB: [1, 255] },
  tile_resample: { thresholdA: [1, 8] },
};

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
  return cvResize(rgb, Math.max(1, Math.trunc(rgb.width / rate)), Math.max(1, Math.trunc(rgb.height / rate)), 'area');
}
