/**
 * The image helpers sd-webui-controlnet's preprocessors share (annotator/util.py `HWC3`, scripts/utils.py
 * `resize_image_with_pad`; docs/sd-pipeline.md, canny preprocessor, step 1).
 */
import { createMat8, type Mat8 } from './cv-mat.js';
import { cvRound } from './opencv-raster.js';
import { cvResize } from './opencv-resize.js';

const f32 = Math.fround;

/**
 * HWC3: three channels. Grey is repeated; RGBA is blended over white in float32 (`color·a + 255·(1 − a)`, a = A/255)
 * and truncated to bytes.
 */
export function hwc3(image: Mat8): Mat8 {
  const { width, height, channels, data } = image;
  if (channels === 3) return image;
  const out = createMat8(width, height, 3);
  for (let p = 0; p < width * height; p++) {
    if (channels === 1) {
      out.data.fill(data[p], p * 3, p * 3 + 3);
      continue;
    }
    const alpha = f32(data[p * 4 + 3] / 255);
    const background = f32(255 * f32(1 - alpha));
    for (let c = 0; c < 3; c++) out.data[p * 3 + c] = Math.min(255, Math.trunc(f32(f32(data[p * 4 + c] * alpha) + background)));
  }
  return out;
}

/** The map of a padded image cut back to the resized image's size (`remove_pad`). */
export interface PaddedImage {
  image: Mat8;
  /** The resized image's size inside the padding. */
  width: number;
  height: number;
}

/** The size resize_image_with_pad scales an image to: `round(side · resolution / shorter side)`, halves to even. */
export function resizedSize(width: number, height: number, resolution: number): { width: number; height: number } {
  const k = resolution / Math.min(width, height);
  return { width: cvRound(width * k), height: cvRound(height * k) };
}

/**
 * resize_image_with_pad: the shorter side scaled to `resolution` (sizes `round(side·k)`, halves to even; cubic when
 * enlarging, area otherwise), then the bottom and right edges repeated up to multiples of 64.
 */
export function resizeImageWithPad(image: Mat8, resolution: number): PaddedImage {
  const source = hwc3(image);
  const k = resolution / Math.min(source.width, source.height);
  const { width, height } = resizedSize(source.width, source.height, resolution);
  const resized = cvResize(source, width, height, k > 1 ? 'cubic' : 'area');
  const padded = createMat8(Math.ceil(width / 64) * 64, Math.ceil(height / 64) * 64, 3);
  for (let y = 0; y < padded.height; y++) {
    for (let x = 0; x < padded.width; x++) {
      const from = (Math.min(y, height - 1) * width + Math.min(x, width - 1)) * 3;
      padded.data.set(resized.data.subarray(from, from + 3), (y * padded.width + x) * 3);
    }
  }
  return { image: padded, width, height };
}

/** `remove_pad`: the top-left `width`×`height` of a map made from a padded image. */
export function removePad(map: Mat8, width: number, height: number): Mat8 {
  const out = createMat8(width, height, map.channels);
  const row = width * map.channels;
  for (let y = 0; y < height; y++) out.data.set(map.data.subarray(y * map.width * map.channels, y * map.width * map.channels + row), y * row);
  return out;
}
