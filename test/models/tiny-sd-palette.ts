/**
 * The bundled tiny-sd's caption colours (tools/tiny-sd/dataset.py, models/tiny-sd/README.md) and the simple pixel
 * classifier the quality tests use: every pixel is labelled with the nearest caption colour.
 */
import type { RawImage } from '../../src/raw-image.js';

const PALETTE = {
  red: [225, 30, 30], green: [30, 165, 50], blue: [35, 70, 225], yellow: [245, 220, 35],
  orange: [245, 135, 20], purple: [135, 45, 180], white: [245, 245, 245], black: [15, 15, 15],
} as const satisfies Record<string, readonly [number, number, number]>;
export type Colour = keyof typeof PALETTE;
const COLOURS = Object.keys(PALETTE) as Colour[];

export function nearestColour(r: number, g: number, b: number): Colour {
  let best: Colour = 'black';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of COLOURS) {
    const [pr, pg, pb] = PALETTE[name];
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

function pixelColour(image: RawImage, x: number, y: number): Colour {
  const i = (y * image.width + x) * image.channels;
  return nearestColour(image.data[i], image.data[i + 1], image.data[i + 2]);
}

/**
 * The background is the dominant colour of the border ring (1/16 of the side); the shape is the dominant other colour
 * of the centre half, when it covers at least 5% of it.
 */
export function dominantColours(image: RawImage): { background: Colour; shape: Colour | undefined } {
  const { width, height } = image;
  const ring = Math.max(2, Math.round(width / 16));
  const border = new Map<Colour, number>();
  const centre = new Map<Colour, number>();
  let centrePixels = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = pixelColour(image, x, y);
      if (x < ring || y < ring || x >= width - ring || y >= height - ring) border.set(c, (border.get(c) ?? 0) + 1);
      else if (x >= width / 4 && x < (3 * width) / 4 && y >= height / 4 && y < (3 * height) / 4) {
        centre.set(c, (centre.get(c) ?? 0) + 1);
        centrePixels += 1;
      }
    }
  }
  const ranked = (counts: Map<Colour, number>) => [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const background = ranked(border)[0][0];
  const shape = ranked(centre).find(([c, n]) => c !== background && n >= 0.05 * centrePixels)?.[0];
  return { background, shape };
}

export const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
