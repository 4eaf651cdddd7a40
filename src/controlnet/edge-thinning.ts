/**
 * sd-webui-controlnet's edge thinning (scripts/lvminthin.py), which keeps one-pixel edges one pixel wide when a binary
 * map is resized to the frame: `nake_nms` keeps a pixel that is the maximum of its 3-pixel line in any of the four
 * directions, `lvmin_thin` removes hit-or-miss patterns until none is left (at most 32 rounds), then optionally prunes
 * spur ends once. One channel in, one out.
 */
import type { Mat8 } from './cv-mat.js';
import { dilate, hitOrMiss, type Kernel3 } from './opencv-morphology.js';

/** np.rot90(k, 1): a quarter turn anticlockwise. */
const rotate = (k: Kernel3): Kernel3 => [k[2], k[5], k[8], k[1], k[4], k[7], k[0], k[3], k[6]];
const turns = (kernel: Kernel3, n: number): Kernel3 => (n === 0 ? kernel : turns(rotate(kernel), n - 1));
/** The raw kernels at 0, 90, 180 and 270 degrees, in the extension's order. */
const allTurns = (raw: Kernel3[]): Kernel3[] => [0, 1, 2, 3].flatMap((n) => raw.map((k) => turns(k, n)));

const THIN_KERNELS = allTurns([
  [-1, -1, -1, 0, 1, 0, 1, 1, 1],
  [0, -1, -1, 1, 1, -1, 0, 1, 0],
]);
const PRUNING_KERNELS = allTurns([
  [-1, -1, -1, -1, 1, -1, 0, 0, -1],
  [-1, -1, -1, -1, 1, -1, -1, 0, 0],
]);

const LINES: Kernel3[] = [
  [0, 0, 0, 1, 1, 1, 0, 0, 0],
  [0, 1, 0, 0, 1, 0, 0, 1, 0],
  [1, 0, 0, 0, 1, 0, 0, 0, 1],
  [0, 0, 1, 0, 1, 0, 1, 0, 0],
];

export function nakeNms(image: Mat8): Mat8 {
  const out = { ...image, data: new Uint8Array(image.data.length) };
  for (const line of LINES) {
    const peaks = dilate(image, line);
    for (let i = 0; i < out.data.length; i++) if (peaks.data[i] === image.data[i]) out.data[i] = image.data[i];
  }
  return out;
}

/** One pass of `thin_one_time`: each kernel's matches cleared in turn; true when nothing matched. */
function thinOnce(image: Mat8, kernels: Kernel3[]): boolean {
  let done = true;
  for (const kernel of kernels) {
    const matches = hitOrMiss(image, kernel);
    for (let i = 0; i < matches.data.length; i++) {
      if (matches.data[i] > 127) {
        image.data[i] = 0;
        done = false;
      }
    }
  }
  return done;
}

export function lvminThin(image: Mat8, prune: boolean): Mat8 {
  const out = { ...image, data: image.data.slice() };
  for (let round = 0; round < 32; round++) if (thinOnce(out, THIN_KERNELS)) break;
  if (prune) thinOnce(out, PRUNING_KERNELS);
  return out;
}
