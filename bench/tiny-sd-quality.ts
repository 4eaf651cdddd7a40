/**
 * The bundled model's quality numbers (issue 2), measured through the ONNX files with the project's own sampler on the
 * CPU: prompt adherence on the held-out captions at CFG 7 and CFG 1 (background and shape colour classified by the
 * dominant palette colour of the border ring and of the centre box), and img2img at Deforum strengths 0.8 and 0.2.
 * The bar: adherence ≥ 90% at CFG 7 and above CFG 1. Run: npx tsx bench/tiny-sd-quality.ts
 */
import { bundledModelPath } from '../src/models/bundled.js';
import type { RawImage } from '../src/raw-image.js';
import { StableDiffusion } from '../src/sampler/pipeline.js';

// The model's palette (models/tiny-sd/README.md).
const palette = {
  red: [225, 30, 30], green: [30, 165, 50], blue: [35, 70, 225], yellow: [245, 220, 35],
  orange: [245, 135, 20], purple: [135, 45, 180], white: [245, 245, 245], black: [15, 15, 15],
} as const satisfies Record<string, readonly [number, number, number]>;
type Colour = keyof typeof palette;
const colours = Object.keys(palette) as Colour[];

function nearest(r: number, g: number, b: number): Colour {
  let best: Colour = 'black';
  let bestDistance = Infinity;
  for (const name of colours) {
    const [pr, pg, pb] = palette[name];
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/** A simple pixel classifier: the dominant palette colour of the border ring, and of the centre box apart from it. */
function classify(image: RawImage): { background: Colour; shape: Colour | undefined } {
  const { width, height, data, channels } = image;
  const ring = Math.round(width / 16);
  const border = new Map<Colour, number>();
  const centre = new Map<Colour, number>();
  let centrePixels = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const c = nearest(data[i], data[i + 1], data[i + 2]);
      if (x < ring || y < ring || x >= width - ring || y >= height - ring) border.set(c, (border.get(c) ?? 0) + 1);
      else if (x >= width / 4 && x < (3 * width) / 4 && y >= height / 4 && y < (3 * height) / 4) {
        centre.set(c, (centre.get(c) ?? 0) + 1);
        centrePixels += 1;
      }
    }
  }
  const top = (counts: Map<Colour, number>) => [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const background = top(border)[0][0];
  const shape = top(centre).find(([c, n]) => c !== background && n >= 0.05 * centrePixels)?.[0];
  return { background, shape };
}

// The captions held out of training (models/tiny-sd/README.md): never seen in any scene.
const heldOut: Array<{ shape: Colour; background: Colour; noun: string }> = [];
for (const noun of ['circle', 'square', 'triangle']) {
  for (const background of ['black', 'purple', 'white', 'orange'] as const) heldOut.push({ shape: 'yellow', background, noun });
  for (const background of ['blue', 'green', 'red', 'yellow'] as const) heldOut.push({ shape: 'orange', background, noun });
}
const caption = (c: { shape: Colour; background: Colour; noun: string }) =>
  `a${c.shape === 'orange' ? 'n' : ''} ${c.shape} ${c.noun} on a${c.background === 'orange' ? 'n' : ''} ${c.background} background`;

const sd = await StableDiffusion.load(bundledModelPath('tiny-sd'), { device: 'cpu' });
const generate = (prompt: string, seed: number, cfg: number, extra: { init?: RawImage; strength?: number } = {}) =>
  sd.generate({ prompt, negativePrompt: '', width: 128, height: 128, seed, steps: 20, cfg, sampler: 'euler', ...extra });

async function adherence(cfg: number): Promise<number> {
  let correct = 0;
  for (const [i, c] of heldOut.entries()) {
    const got = classify(await generate(caption(c), 100 + i, cfg));
    if (got.background === c.background && got.shape === c.shape) correct += 1;
  }
  return correct / heldOut.length;
}

const at7 = await adherence(7);
const at1 = await adherence(1);
console.log(`adherence on ${heldOut.length} held-out captions: CFG 7 ${(at7 * 100).toFixed(0)}%, CFG 1 ${(at1 * 100).toFixed(0)}% (bar: ≥ 90% and above CFG 1)`);
const init = await generate('a red circle on a blue background', 7, 7);
const meanAbsDiff = (a: RawImage, b: RawImage) => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]), 0) / a.data.length;
const kept = await generate('a yellow square on a green background', 8, 7, { init, strength: 0.8 });
const followed = await generate('a yellow square on a green background', 8, 7, { init, strength: 0.2 });
console.log(`img2img mean |Δ| to the input: strength 0.8 ${meanAbsDiff(kept, init).toFixed(1)}, strength 0.2 ${meanAbsDiff(followed, init).toFixed(1)}`);
console.log(`img2img classes: input ${JSON.stringify(classify(init))}, strength 0.8 ${JSON.stringify(classify(kept))}, strength 0.2 ${JSON.stringify(classify(followed))}`);
await sd.release();
