/**
 * Cost of a ControlNet unit per sampling step: the median time between consecutive UNet calls (Euler: one per step,
 * cond and uncond batched) without ControlNet and with one pose unit in each control mode, and their ratio. The issue's
 * budget is ≤ 1.6× the step time without ControlNet.
 * Run: npx tsx bench/controlnet.ts [--model dir] [--controlnet dir] [--device auto|cuda|webgpu|cpu] [--steps N] [--size px]
 *      [--no-spin]
 * (defaults: the bundled tiny-sd and tiny-sd-controlnet-openpose, CPU, 20 steps, the model's native size).
 * --no-spin opens every session with `session.intra_op.allow_spinning = 0`: the UNet's and the ControlNet's CPU
 * thread pools otherwise busy-wait after each run and take the cores from the other session's run.
 */
import path from 'node:path';
import ort from 'onnxruntime-node';
import { controlHook, type ControlUnitFrame } from '../src/controlnet/control-hook.js';
import { ControlNetModel } from '../src/controlnet/controlnet-model.js';
import { loadOpenPoseJson } from '../src/controlnet/openpose-json.js';
import { fitPose } from '../src/controlnet/pose-fit.js';
import { drawPose } from '../src/controlnet/skeleton.js';
import type { ControlMode } from '../src/controlnet/modes.js';
import { bundledModelPath } from '../src/models/bundled.js';
import type { ControlHook } from '../src/sampler/cfg-denoiser.js';
import { DeviceSessions, parseDeviceRequest } from '../src/sampler/devices.js';
import { StableDiffusion, type GenerateOptions } from '../src/sampler/pipeline.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args.splice(at, 2)[1];
};
const device = parseDeviceRequest(flag('--device', 'cpu'));
const steps = Number(flag('--steps', '20'));
const modelDir = flag('--model', bundledModelPath('tiny-sd'));
const controlnetDir = flag('--controlnet', bundledModelPath('tiny-sd-controlnet-openpose'));
const sizeFlag = flag('--size', '');
if (args.includes('--no-spin')) {
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (file: string, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;
  Object.assign(ort.InferenceSession, {
    create: (file: string, options: ort.InferenceSession.SessionOptions = {}) =>
      create(file, { ...options, extra: { ...options.extra, session: { intra_op: { allow_spinning: '0' } } } }),
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const sd = await StableDiffusion.load(modelDir, { device, log: (line) => console.error(line) });
const controlnet = await ControlNetModel.open(controlnetDir, new DeviceSessions(sd.device));
const size = sizeFlag ? Number(sizeFlag) : sd.describe().nativeSize;
const pose = drawPose(fitPose(await loadOpenPoseJson(path.join('schedules', 'poses', 'wave.json')), size, size, 'inner-fit'));
const base: GenerateOptions = { prompt: 'a dancer on a stage', negativePrompt: 'blurry', width: size, height: size, seed: 1, steps, cfg: 7, sampler: 'euler' };

/** Milliseconds between consecutive UNet calls of one image (the hook is timed as part of the step it belongs to). */
async function stepTimes(hook: ControlHook | undefined): Promise<number[]> {
  const calls: number[] = [];
  await sd.generate({
    ...base,
    control: async (input) => {
      calls.push(performance.now());
      return hook?.(input);
    },
  });
  return calls.slice(1).map((t, i) => t - calls[i]);
}

const unit = (controlMode: ControlMode): ControlUnitFrame => ({ model: controlnet, image: pose, weight: 1, guidanceStart: 0, guidanceEnd: 1, controlMode });
const variants: Array<[string, ControlHook | undefined]> = [
  ['no ControlNet', undefined],
  ['balanced', controlHook([unit('balanced')])],
  ['prompt', controlHook([unit('prompt')])],
  ['controlnet (cond rows only)', controlHook([unit('controlnet')])],
];
await stepTimes(undefined);
await stepTimes(variants[1][1]);
const results = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let round = 0; round < 3; round++) {
  for (const [name, hook] of variants) results.get(name)!.push(...(await stepTimes(hook)));
}
const baseline = median(results.get('no ControlNet')!);
console.log(`model ${modelDir}, ControlNet ${controlnetDir}, device ${sd.device}, ${size}×${size}, ${steps} steps euler, cfg 7${args.includes('--no-spin') ? ', thread spinning off' : ''}`);
for (const [name] of variants) {
  const ms = median(results.get(name)!);
  console.log(`${name.padEnd(28)} step ${ms.toFixed(2)} ms  ×${(ms / baseline).toFixed(2)}`);
}
await Promise.all([sd.release(), controlnet.release()]);
