/**
 * Fitting a pose made on one canvas to the render size, with sd-webui-controlnet's three resize modes
 * (docs/deforum.md §e `resize_mode`; controlnet.py `detectmap_proc`):
 * - `just-resize` ("Just Resize"): stretch both axes to the render size;
 * - `inner-fit` ("Crop and Resize", Deforum's "Inner Fit (Scale to Fit)", the default): scale by the larger factor so
 *   the canvas covers the frame, then crop the centre;
 * - `outer-fit` ("Resize and Fill", "Outer Fit (Shrink to Fit)"): scale by the smaller factor so the whole canvas
 *   fits, centred on black.
 * The scaled size is rounded half-to-even (`np.round`) and the crop/pad offset floored (`// 2`), as ControlNet does.
 */
import { loadSharp } from '../image-file.js';
import type { RawImage } from '../raw-image.js';
import type { ResizeMode } from './modes.js';
import { cvRound } from './opencv-raster.js';
import type { Pose } from './pose.js';


/** Where a canvas lands in the frame: scaled to `scaledWidth`×`scaledHeight`, its top-left at (offsetX, offsetY). */
export interface Placement {
  scaledWidth: number;
  scaledHeight: number;
  offsetX: number;
  offsetY: number;
}

export function placement(canvas: { width: number; height: number }, width: number, height: number, mode: ResizeMode): Placement {
  if (mode === 'just-resize') return { scaledWidth: width, scaledHeight: height, offsetX: 0, offsetY: 0 };
  const kx = width / canvas.width;
  const ky = height / canvas.height;
  const k = mode === 'inner-fit' ? Math.max(kx, ky) : Math.min(kx, ky);
  const scaledWidth = cvRound(canvas.width * k);
  const scaledHeight = cvRound(canvas.height * k);
  return { scaledWidth, scaledHeight, offsetX: Math.floor((width - scaledWidth) / 2), offsetY: Math.floor((height - scaledHeight) / 2) };
}

/** The pose's keypoints in the render frame (they may fall outside it after an inner-fit crop; drawing clips). */
export function fitPose(pose: Pose, width: number, height: number, mode: ResizeMode): Pose {
  const { scaledWidth, scaledHeight, offsetX, offsetY } = placement(pose, width, height, mode);
  const sx = scaledWidth / pose.width;
  const sy = scaledHeight / pose.height;
  return {
    width,
    height,
    people: pose.people.map((person) => person.map((k) => (k ? { x: k.x * sx + offsetX, y: k.y * sy + offsetY } : null))),
  };
}

/** A pose image (from a folder or video) fitted the same way; outer-fit pads with black, the pose maps' background. */
export async function fitImage(image: RawImage, width: number, height: number, mode: ResizeMode): Promise<RawImage> {
  if (image.width === width && image.height === height && image.channels === 3) return image;
  const { scaledWidth, scaledHeight, offsetX, offsetY } = placement(image, width, height, mode);
  const sharp = await loadSharp();
  const scaled = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .removeAlpha()
    .resize(scaledWidth, scaledHeight, { fit: 'fill' });
  const fitted =
    offsetX >= 0 && offsetY >= 0
      ? scaled.extend({
          left: offsetX,
          top: offsetY,
          right: width - scaledWidth - offsetX,
          bottom: height - scaledHeight - offsetY,
          background: { r: 0, g: 0, b: 0 },
        })
      : sharp(await scaled.raw().toBuffer(), { raw: { width: scaledWidth, height: scaledHeight, channels: 3 } }).extract({
          left: -offsetX,
          top: -offsetY,
          width,
          height,
        });
  const data = await fitted.raw().toBuffer();
  return { width, height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
