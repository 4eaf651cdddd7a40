/**
 * Milliseconds per 512×512 RGB frame for the image operations the render loop runs between frames.
 * Run: npx tsx bench/motion.ts
 */
import { blend } from '../src/motion/blend.js';
import { maintainColors, type ColorCoherence } from '../src/motion/color-coherence.js';
import { applyContrast } from '../src/motion/contrast.js';
import { addFrameNoise, defaultFrameNoise } from '../src/motion/frame-noise.js';
import { applyUnsharpMask } from '../src/motion/unsharp-mask.js';
import { warp2D } from '../src/motion/warp.js';
import type { RawImage } from '../src/raw-image.js';
import { TorchGenerator } from '../src/sampler/noise.js';

const size = 512;

function scene(shift: number): RawImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++)
        data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, 128 + shift + 100 * Math.sin((x * (c + 1)) / 40 + y / 60) + ((x * 31 + y * 17) % 23)));
  return { width: size, height: size, channels: 3, data };
}

/** Median milliseconds of CPU time over `runs`, after warm-up. */
function time(run: () => void, runs = 15): number {
  for (let i = 0; i < 3; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / 1000);
  }
  return samples.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const frame = scene(30);
const reference = scene(0);
const rows: [string, number][] = [
  ['warp2D (zoom 1.02, angle 1, tx 1.5)', time(() => warp2D(frame, { zoom: 1.02, angle: 1, translationX: 1.5, translationY: 0 }))],
  ['warp2D wrap border (zoom 0.9)', time(() => warp2D(frame, { zoom: 0.9, angle: 0, translationX: 0, translationY: 0 }, 'wrap'))],
  ...(['rgb', 'hsv', 'lab'] as ColorCoherence[]).map((mode): [string, number] => [`maintainColors ${mode}`, time(() => maintainColors(frame, reference, mode))]),
  ['applyContrast 1.1', time(() => applyContrast(frame, 1.1))],
  ['applyUnsharpMask (Deforum defaults)', time(() => applyUnsharpMask(frame, { kernel: 5, sigma: 1, amount: 0.1, threshold: 0 }))],
  ['addFrameNoise perlin (torch randn + rand)', time(() => addFrameNoise(frame, 0.02, new TorchGenerator(1234), defaultFrameNoise))],
  ['addFrameNoise uniform (torch randn)', time(() => addFrameNoise(frame, 0.02, new TorchGenerator(1234), { ...defaultFrameNoise, type: 'uniform' }))],
  ['blend t=0.5', time(() => blend(frame, reference, 0.5))],
];
for (const [name, ms] of rows) console.log(`${name.padEnd(40)} ${ms.toFixed(2)} ms CPU per ${size}×${size} frame`);
