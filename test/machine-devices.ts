/**
 * What this machine offers, so that tests opening real sessions hold with and without a GPU (issue 13): each GPU
 * execution provider is asked, in a child process of its own (a provider library may crash), to open a fixture model
 * and run it; nvidia-smi is asked for the GPUs. Tests then assert the outcome for what is here: on a machine without
 * a GPU, exactly what they asserted before.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { planDevices, systemProbe, type Device } from '../src/sampler/devices.js';
import { repoRoot } from './helpers.js';

export interface MachineDevices {
  /** onnxruntime's CUDA provider library is installed next to onnxruntime-node's binary. */
  cudaProvider: boolean;
  /** The execution provider opens and runs a model here. */
  cuda: boolean;
  webgpu: boolean;
  /** `nvidia-smi --query-gpu=name,driver_version,memory.total` lines; undefined when there is no nvidia-smi. */
  nvidiaGpus: { name: string; driver: string; memory: string }[] | undefined;
}

const PROVIDERS: Record<'cuda' | 'webgpu', string> = { cuda: '{ name: "cuda", deviceId: 0 }', webgpu: '"webgpu"' };
const MODEL = path.join(repoRoot, 'test', 'fixtures', 'models', 'sd-diffusers', 'vae_decoder', 'model.onnx');

function providerRuns(device: 'cuda' | 'webgpu'): boolean {
  const script = `import ort from 'onnxruntime-node';
const session = await ort.InferenceSession.create(${JSON.stringify(MODEL)}, { executionProviders: [${PROVIDERS[device]}] });
await session.run({ latent_sample: new ort.Tensor('float32', new Float32Array(256), [1, 4, 8, 8]) });
process.stdout.write('runs');`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return result.status === 0 && result.stdout === 'runs';
}

function nvidiaGpus(): MachineDevices['nvidiaGpus'] {
  const result = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 20_000 });
  if (result.error) return undefined;
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name, driver, memory] = line.split(',').map((field) => field.trim());
      return { name, driver, memory };
    });
}

let probed: MachineDevices | undefined;

export function machineDevices(): MachineDevices {
  probed ??= { cudaProvider: systemProbe.cudaProviderLibrary() !== undefined, cuda: providerRuns('cuda'), webgpu: providerRuns('webgpu'), nvidiaGpus: nvidiaGpus() };
  return probed;
}

/** What `--device auto` ends on here, and the devices it passes over on the way (ruled out first, then failed). */
export function expectedAuto(machine: MachineDevices): { device: Device; skipped: Device[] } {
  const plan = planDevices('auto');
  const device = plan.candidates.find((candidate) => candidate === 'cpu' || machine[candidate])!;
  return { device, skipped: [...plan.skipped.map((s) => s.device), ...plan.candidates.slice(0, plan.candidates.indexOf(device))] };
}
