import { MAX_SEED_RESIZE } from '../sampler/variation-noise.js';

/** What `--seed-resize-from` takes, for the commands' messages. */
export const seedResizeExpected = `width,height in pixels, whole numbers from 0 to ${MAX_SEED_RESIZE}, e.g. 768,512 (0 = off)`;

/** `--seed-resize-from 768,512`: A1111's "Resize seed from" width and height in pixels, or undefined when malformed. */
export function parseSeedResize(value: string): { width: number; height: number } | undefined {
  const sides = value.split(',').map((d) => d.trim());
  if (sides.length !== 2 || !sides.every((d) => /^\d+$/.test(d) && Number(d) <= MAX_SEED_RESIZE)) return undefined;
  const [width, height] = sides.map(Number);
  return { width, height };
}
