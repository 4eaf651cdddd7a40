/**
 * A Deforum-default render (25 steps, strength 0.65, cadence 1, LAB colour coherence, Perlin noise, anti-blur) and
 * where each frame's time goes: the sampler (text encoding, UNet steps, VAE) versus everything else (warp, colour,
 * contrast, anti-blur, noise, PNG encode, durable write, journal). The final ffmpeg encode is timed separately.
 * Run: npx tsx bench/render.ts [--size 512] [--frames 6] [--steps 25] [--device cpu|cuda|webgpu|auto] [--model DIR]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AnimationSchema } from '../src/keyframes/schema.js';
import { bundledModelPath } from '../src/models/bundled.js';
import type { RenderEvent } from '../src/render/events.js';
import { renderAnimation } from '../src/render/run.js';
import { parseDeviceRequest } from '../src/sampler/devices.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args[at + 1];
};
const size = Number(flag('--size', '512'));
const frames = Number(flag('--frames', '6'));
const steps = Number(flag('--steps', '25'));
const device = parseDeviceRequest(flag('--device', 'cpu'));
const model = path.resolve(flag('--model', bundledModelPath('tiny-sd')));

const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-bench-render-'));
const animation = AnimationSchema.parse({
  model,
  width: size,
  height: size,
  frames,
  steps,
  seed: 1,
  diffusionCadence: 1,
  prompts: { '0': 'a red circle on a blue background' },
  schedules: { zoom: '0:(1.02)', angle: '0:(0.5)' },
  output: { preset: 'veryfast' },
});
const frameEvents: Array<Extract<RenderEvent, { type: 'frame' }>> = [];
let videoStart = 0;
let videoMs = 0;
await renderAnimation({
  animation,
  source: path.join(dir, 'bench.json'),
  outDir: path.join(dir, 'out'),
  device,
  log: (line) => console.error(line),
  onEvent: (event) => {
    if (event.type === 'frame') {
      frameEvents.push(event);
      if (event.frame === frames - 1) videoStart = performance.now();
    }
    if (event.type === 'video') videoMs = performance.now() - videoStart;
  },
});
rmSync(dir, { recursive: true, force: true });

// Frame 0 is txt2img (all steps); frames 1… are the Deforum-default img2img the target is about.
const img2img = frameEvents.slice(1);
const total = img2img.reduce((sum, e) => sum + e.seconds, 0) / img2img.length;
const sampler = img2img.reduce((sum, e) => sum + e.samplerSeconds, 0) / img2img.length;
const rest = total - sampler;
console.log(`render ${size}×${size}, ${steps} steps, strength 0.65, device ${device}, ${frames} frames (${os.cpus().length} CPU cores)`);
console.log('frame  total s  sampler s  everything else s');
for (const e of frameEvents) console.log(`${String(e.frame).padStart(5)}  ${e.seconds.toFixed(3).padStart(7)}  ${e.samplerSeconds.toFixed(3).padStart(9)}  ${(e.seconds - e.samplerSeconds).toFixed(3).padStart(17)}`);
console.log(`img2img frames: ${total.toFixed(3)} s/frame = sampler ${sampler.toFixed(3)} s + everything else ${rest.toFixed(3)} s`);
console.log(`everything else / frame: ${((100 * rest) / total).toFixed(1)}%`);
console.log(`final ffmpeg encode of ${frames} frames: ${(videoMs / 1000).toFixed(2)} s`);
