import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { UsageError } from '../../src/errors.js';
import { DeviceSessions, parseDeviceRequest, planDevices, sessionFailureReason, sessionOptions } from '../../src/sampler/devices.js';
import { expectedAuto, machineDevices, type MachineDevices } from '../machine-devices.js';
import { fixtureModel } from './model-fixtures.js';

const noCuda = { cudaProviderLibrary: () => undefined, mayHaveGpu: () => true };
const withCuda = { cudaProviderLibrary: () => '/opt/ort/libonnxruntime_providers_cuda.so', mayHaveGpu: () => true };
const noGpu = { cudaProviderLibrary: () => undefined, mayHaveGpu: () => false };
const model = path.join(fixtureModel('sd-diffusers'), 'vae_decoder', 'model.onnx');

describe('planDevices', () => {
  it('auto prefers CUDA, then WebGPU, then the CPU', () => {
    expect(planDevices('auto', withCuda)).toEqual({ candidates: ['cuda', 'webgpu', 'cpu'], skipped: [] });
  });

  it('auto skips CUDA when its provider library is not installed, saying so', () => {
    const plan = planDevices('auto', noCuda);
    expect(plan.candidates).toEqual(['webgpu', 'cpu']);
    expect(plan.skipped).toEqual([{ device: 'cuda', reason: "libonnxruntime_providers_cuda.so is not installed next to onnxruntime-node's binary" }]);
  });

  it('auto does not try WebGPU on a Linux machine without GPU device nodes', () => {
    expect(planDevices('auto', noGpu)).toEqual({
      candidates: ['cpu'],
      skipped: [
        { device: 'cuda', reason: "libonnxruntime_providers_cuda.so is not installed next to onnxruntime-node's binary" },
        { device: 'webgpu', reason: 'no GPU device found (/dev/dri, /dev/nvidia0, /dev/dxg)' },
      ],
    });
  });

  it('an explicit device keeps the CPU as its fallback', () => {
    expect(planDevices('cuda', withCuda).candidates).toEqual(['cuda', 'cpu']);
    expect(planDevices('webgpu', noCuda).candidates).toEqual(['webgpu', 'cpu']);
    expect(planDevices('cpu', withCuda).candidates).toEqual(['cpu']);
  });

  it('CUDA asked for without its provider is not tried (onnxruntime would print its raw error first)', () => {
    expect(planDevices('cuda', noCuda)).toEqual({
      candidates: ['cpu'],
      skipped: [{ device: 'cuda', reason: "libonnxruntime_providers_cuda.so is not installed next to onnxruntime-node's binary" }],
    });
  });
});

describe('session options per device', () => {
  it('uses every CPU core and full graph optimisation on the CPU', () => {
    const options = sessionOptions('cpu');
    expect(options.graphOptimizationLevel).toBe('all');
    expect(options.intraOpNumThreads).toBeGreaterThanOrEqual(1);
  });

  it('asks WebGPU for the NHWC layout', () => {
    expect(sessionOptions('webgpu').executionProviders).toEqual([{ name: 'webgpu', preferredLayout: 'NHWC' }]);
  });
});

describe('parseDeviceRequest', () => {
  it('accepts the four names', () => {
    for (const name of ['auto', 'cuda', 'webgpu', 'cpu']) expect(parseDeviceRequest(name)).toBe(name);
  });

  it('rejects others with the list', () => {
    expect(() => parseDeviceRequest('tpu')).toThrow(UsageError);
    expect(() => parseDeviceRequest('tpu')).toThrow('--device: unknown device "tpu"; expected one of auto, cuda, webgpu, cpu');
  });
});

describe('sessionFailureReason', () => {
  it('keeps the sentence of an onnxruntime error without its source prefix', () => {
    const error = new Error('/onnxruntime_src/core/providers/webgpu/webgpu_context.cc:100 lambda adapter_result.status == Success was false. Failed to get a WebGPU adapter: No supported adapters');
    expect(sessionFailureReason(error)).toBe('Failed to get a WebGPU adapter: No supported adapters');
  });
});

// These open real sessions. Without a GPU (this machine, CI) every GPU device fails or is ruled out and the CPU takes
// over; with one, a device that works here is used, and the fallback is what remains to check.
describe('DeviceSessions on this machine', () => {
  let machine: MachineDevices;
  beforeAll(() => {
    machine = machineDevices();
  }, 180_000);

  it('auto tries WebGPU after a missing CUDA provider, and ends on the CPU with a reason for each when WebGPU fails', async () => {
    const sessions = new DeviceSessions('auto', { probe: noCuda });
    const session = await sessions.open(model);
    if (machine.webgpu) {
      expect(sessions.device).toBe('webgpu');
      expect(sessions.skipped.map((s) => s.device)).toEqual(['cuda']);
    } else {
      expect(sessions.device).toBe('cpu');
      expect(sessions.skipped.map((s) => s.device)).toEqual(['cuda', 'webgpu']);
      expect(sessions.skipped[1].reason.length).toBeGreaterThan(0);
    }
    expect(sessions.warnings).toEqual([]);
    await session.release();
  }, 60_000);

  it('an explicit CUDA request that cannot load falls back to the CPU with a warning, not a crash', async () => {
    const sessions = new DeviceSessions('cuda', { probe: noCuda });
    const session = await sessions.open(model);
    if (machine.cuda) {
      expect([sessions.device, sessions.warnings]).toEqual(['cuda', []]);
    } else {
      expect(sessions.device).toBe('cpu');
      expect(sessions.warnings).toHaveLength(1);
      expect(sessions.warnings[0]).toMatch(/^device cuda failed \(.+\); falling back to cpu$/);
    }
    await session.release();
  }, 60_000);

  it('the system probe rules out what this machine lacks before trying it, and auto ends on what works', async () => {
    const sessions = new DeviceSessions('auto');
    await (await sessions.open(model)).release();
    const expected = expectedAuto(machine);
    expect(sessions.device).toBe(expected.device);
    expect(sessions.skipped.map((s) => s.device)).toEqual(expected.skipped);
    // without GPU device nodes or the CUDA provider (this machine, CI), both GPUs are ruled out before any session
    if (!machine.cudaProvider && !planDevices('auto').candidates.includes('webgpu')) expect(expected).toEqual({ device: 'cpu', skipped: ['cuda', 'webgpu'] });
  }, 60_000);

  it('later sessions go straight to the device the first one settled on', async () => {
    const sessions = new DeviceSessions('cuda', { probe: noCuda });
    await (await sessions.open(model)).release();
    const device = sessions.device;
    await (await sessions.open(model)).release();
    expect(sessions.device).toBe(device);
    expect(sessions.warnings).toHaveLength(machine.cuda ? 0 : 1);
  }, 60_000);
});
