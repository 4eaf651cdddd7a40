/**
 * Stable Diffusion on onnxruntime-node: session creation, milliseconds per UNet call (CFG batch of 2) and per image,
 * txt2img and Deforum-default img2img (strength 0.65), at the model's native size.
 * Run: npx tsx bench/sampler.ts [model folder (default: the bundled tiny-sd)] [--device auto|cuda|webgpu|cpu] [--steps N]
 */
import { bundledModelPath } from '../src/models/bundled.js';
import { parseDeviceRequest } from '../src/sampler/devices.js';
import { StableDiffusion, type GenerateOptions } from '../src/sampler/pipeline.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args.splice(at, 2)[1];
};
const device = parseDeviceRequest(flag('--device', 'cpu'));
const steps = Number(flag('--steps', '25'));
const modelDir = args[0] ?? bundledModelPath('tiny-sd');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const loadStart = performance.now();
const sd = await StableDiffusion.load(modelDir, { device, log: (line) => console.error(line) });
const loadMs = performance.now() - loadStart;
const size = sd.describe().nativeSize;
const base: GenerateOptions = { prompt: 'a red circle on a blue background', negativePrompt: '', width: size, height: size, seed: 1, steps, cfg: 7, sampler: 'euler' };

/** One image, with the time between consecutive UNet calls (Euler: one call per step, cond and uncond batched). */
async function run(options: GenerateOptions): Promise<{ total: number; perCall: number[] }> {
  const calls: number[] = [];
  const start = performance.now();
  await sd.generate({ ...options, control: () => void calls.push(performance.now()) });
  const total = performance.now() - start;
  return { total, perCall: calls.slice(1).map((t, i) => t - calls[i]) };
}

await run(base);
const txt = [await run(base), await run(base), await run(base)];
const init = await sd.generate(base);
const img = [await run({ ...base, init, strength: 0.65 }), await run({ ...base, init, strength: 0.65 }), await run({ ...base, init, strength: 0.65 })];

console.log(`model ${sd.describe().name} (${modelDir}), device ${sd.device}, ${size}×${size}, ${steps} steps, euler, cfg 7`);
console.log(`session creation, all graphs: ${loadMs.toFixed(0)} ms`);
console.log(`UNet step (batch 2, median): ${median(txt.flatMap((r) => r.perCall)).toFixed(2)} ms`);
console.log(`txt2img image (median of 3): ${median(txt.map((r) => r.total)).toFixed(1)} ms`);
console.log(`img2img image, strength 0.65 → ${img[0].perCall.length + 1} steps (median of 3): ${median(img.map((r) => r.total)).toFixed(1)} ms`);
await sd.release();
