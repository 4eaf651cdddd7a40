/**
 * Milliseconds per frame of depth prediction at 512×512 — resize in, the network, the resize back to the frame and
 * the Depth-Anything pipeline's 8-bit step, i.e. `DepthModel.predict` as a 3D render calls it per frame — for the
 * bundled tiny-depth and a Depth-Anything-V2-Small-shaped model with random weights (the real architecture and size,
 * 24.7 M parameters, 518×518 input; built by tools/tiny-depth/export_da2_small.py, never committed), and the ratio.
 * Run: npx tsx bench/depth.ts [--device cpu|cuda|webgpu|auto] [--runs N] [--da2 folder]
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DepthModel } from '../src/depth/depth-model.js';
import type { RawImage } from '../src/raw-image.js';
import { parseDeviceRequest } from '../src/sampler/devices.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args.splice(at, 2)[1];
};
const device = parseDeviceRequest(flag('--device', 'cpu'));
const runs = Number(flag('--runs', '5'));
const da2 = flag('--da2', path.join(root, 'tools/tiny-depth/work/da2-small'));
const size = 512;

/** A frame from the bundled models' world: a floor, a back wall and two shapes, flat colours. */
function frame(): RawImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inCircle = (x - 180) ** 2 + (y - 300) ** 2 < 70 ** 2;
      const inSquare = Math.abs(x - 360) < 50 && Math.abs(y - 220) < 50;
      const rgb = inCircle ? [225, 30, 30] : inSquare ? [245, 220, 35] : y > 330 ? [30, 165, 50] : [35, 70, 225];
      data.set(rgb, (y * size + x) * 3);
    }
  }
  return { width: size, height: size, channels: 3, data };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function time(model: string): Promise<{ ms: number; input: string; device: string; load: number }> {
  const started = performance.now();
  const depth = await DepthModel.load(model, { device, log: (line) => console.error(line) });
  const load = performance.now() - started;
  try {
    const image = frame();
    await depth.predict(image);
    await depth.predict(image);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await depth.predict(image);
      samples.push(performance.now() - start);
    }
    const input = depth.inputSize(image);
    return { ms: median(samples), input: `${input.width}×${input.height}`, device: depth.device, load };
  } finally {
    await depth.release();
  }
}

console.log(`depth prediction per ${size}×${size} frame (median of ${runs} after 2 warm-up), device ${device}; ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores`);
const tiny = await time('tiny-depth');
console.log(`tiny-depth (bundled)              input ${tiny.input}   ${tiny.ms.toFixed(1)} ms   (${tiny.device}, session ${tiny.load.toFixed(0)} ms)`);
if (!existsSync(da2)) {
  console.log(`Depth-Anything-V2-Small-shaped: ${da2} is missing; build it with /usr/bin/python3 tools/tiny-depth/export_da2_small.py`);
} else {
  const big = await time(da2);
  console.log(`Depth-Anything-V2-Small-shaped    input ${big.input}   ${big.ms.toFixed(1)} ms   (${big.device}, session ${big.load.toFixed(0)} ms)`);
  console.log(`ratio Depth-Anything-V2-Small ÷ tiny-depth: ${(big.ms / tiny.ms).toFixed(1)}×`);
}
