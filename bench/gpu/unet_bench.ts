/**
 * onnxruntime-node side of bench/gpu/run.sh: one UNet call with CFG (batch 2) through the project's own code path —
 * DeviceSessions (the device's session options), UNet.open/predict (dtype conversion, zero ControlNet residuals, the
 * text-states tensor built once) and the CFG denoiser around it — as the median of --calls after warm-up, with the
 * UNet output compared against PyTorch's on the same weights and inputs (torch_sd.py's reference/).
 * usage: node --import tsx bench/gpu/unet_bench.ts UNET_DIR REFERENCE_DIR --device cuda|webgpu|cpu [--calls 20]
 *        [--warmup 5] [--label NAME] [--json FILE]
 */
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { constantStates, guidedDenoiser } from '../../src/sampler/cfg-denoiser.js';
import { DeviceSessions, parseDeviceRequest } from '../../src/sampler/devices.js';
import { UnetConfigSchema } from '../../src/sampler/model-folder.js';
import { UNet } from '../../src/sampler/unet.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args.splice(at, 2)[1];
};
const device = parseDeviceRequest(flag('--device', 'cpu'));
const calls = Number(flag('--calls', '20'));
const warmup = Number(flag('--warmup', '5'));
const jsonFile = flag('--json', '');
const label = flag('--label', device);
const [unetDir, referenceDir] = args;
if (!unetDir || !referenceDir) throw new Error('usage: unet_bench.ts UNET_DIR REFERENCE_DIR --device DEVICE');

const floats = (name: string) => {
  const bytes = readFileSync(path.join(referenceDir, `${name}.bin`));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
const meta = JSON.parse(readFileSync(path.join(referenceDir, 'reference.json'), 'utf8')) as { timestep: number; rows: number; latent: number; tokens: number; dim: number };
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function report(row: Record<string, unknown>): void {
  console.log(JSON.stringify(row));
  if (jsonFile) appendFileSync(jsonFile, `${JSON.stringify(row)}\n`);
}

async function timed(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

const sessions = new DeviceSessions(device);
const config = UnetConfigSchema.parse(JSON.parse(readFileSync(path.join(unetDir, 'config.json'), 'utf8')));
const openStart = performance.now();
const unet = await UNet.open(path.join(unetDir, 'model.onnx'), sessions, unetDir, config);
const sessionMs = performance.now() - openStart;
if (sessions.device !== device) {
  report({ label, device, error: `fell back to ${sessions.device}: ${[...sessions.warnings, ...sessions.skipped.map((s) => s.reason)].join('; ')}` });
  process.exit(1);
}

const { rows, latent, tokens, dim, timestep } = meta;
const sample = floats('sample');
const context = floats('context');
const expected = floats('out_sample');
const contextTensor = unet.contextTensor(context, rows, tokens);
const predict = () => unet.predict(sample, rows, latent, latent, timestep, contextTensor);

const out = await predict();
let diff = 0;
let norm = 0;
for (let i = 0; i < expected.length; i++) {
  diff += (out[i] - expected[i]) ** 2;
  norm += expected[i] ** 2;
}
const relativeError = Math.sqrt(diff / norm);
const predictMs = await timed(predict);

// the sampler's view: one denoiser call = c_in scaling, the CFG batch, UNet.predict, the guidance combination
const states = (row: number) => ({ data: context.subarray(row * tokens * dim, (row + 1) * tokens * dim), tokens, dim });
const denoiser = guidedDenoiser({
  unet,
  cond: { parts: [{ schedule: constantStates(states(0)), weight: 1 }] },
  uncond: constantStates(states(1)),
  cfg: 7,
  prediction: 'epsilon',
  latentHeight: latent,
  latentWidth: latent,
  sigmaToT: () => timestep,
  totalSteps: calls + warmup,
});
const x = sample.subarray(0, 4 * latent * latent);
const denoiserMs = await timed(() => denoiser(x, 3.5, 0));

report({
  label,
  device,
  sessionMs: Math.round(sessionMs),
  unetMs: +median(predictMs).toFixed(2),
  denoiserMs: +median(denoiserMs).toFixed(2),
  relativeError: +relativeError.toPrecision(3),
  calls,
  warmup,
});
await unet.release();
