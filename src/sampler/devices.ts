/**
 * Execution-provider choice: `auto` tries CUDA, then WebGPU, then the CPU (docs/gpu.md), and every session of a model is
 * opened through one `DeviceSessions`, which falls back to the next device with a warning instead of crashing.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import ort from 'onnxruntime-node';
import { deforum } from '../invocation.js';
import type { Device, DeviceRequest } from './device-names.js';

export { DEVICES, parseDeviceRequest, type Device, type DeviceRequest } from './device-names.js';

export interface SkippedDevice {
  device: Device;
  reason: string;
}

/**
 * Session options per execution provider, in one table. onnxruntime-node 1.29's binding passes only `deviceId` to
 * the CUDA EP, so cuDNN's algorithm search stays at its default (EXHAUSTIVE, measured on par with HEURISTIC in docs/gpu.md).
 */
const SESSION_OPTIONS: Record<Device, () => ort.InferenceSession.SessionOptions> = {
  cuda: () => ({ executionProviders: [{ name: 'cuda', deviceId: 0 }], graphOptimizationLevel: 'all' }),
  // NHWC: docs/gpu.md measured 161.6 ms vs 256.6 ms for NCHW on an SD 1.5 UNet
  webgpu: () => ({ executionProviders: [{ name: 'webgpu', preferredLayout: 'NHWC' }], graphOptimizationLevel: 'all' }),
  cpu: () => ({
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: availableParallelism(),
    interOpNumThreads: 1,
    // Threads that spin between small ops starve each other and the rest of the frame's work (bench/controlnet.ts:
    // a UNet step 75 → 20-31 ms, a pose unit ×2.2 → ×1.5 of the step, on 2 cores).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  }),
};

export function sessionOptions(device: Device): ort.InferenceSession.SessionOptions {
  return SESSION_OPTIONS[device]();
}

/** Where onnxruntime-node loads its execution-provider libraries from. */
export function onnxruntimeBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
}

export const CUDA_PROVIDER_LIBRARY = 'libonnxruntime_providers_cuda.so';

/** What the machine offers, asked once; a parameter so that the ordering logic is testable on any machine. */
export interface DeviceProbe {
  /** The CUDA provider library, or undefined when it is not installed. */
  cudaProviderLibrary(): string | undefined;
  /** False only when the machine certainly has no GPU for WebGPU to find (Linux without GPU device nodes). */
  mayHaveGpu(): boolean;
}

/** Where Linux exposes GPUs: DRM render nodes (AMD, Intel, NVIDIA open), NVIDIA's own nodes, WSL's /dev/dxg. */
const GPU_DEVICE_NODES = ['/dev/dri', '/dev/nvidia0', '/dev/dxg'];

export const systemProbe: DeviceProbe = {
  cudaProviderLibrary() {
    const file = path.join(onnxruntimeBinaryDir(), CUDA_PROVIDER_LIBRARY);
    return existsSync(file) ? file : undefined;
  },
  mayHaveGpu() {
    return process.platform !== 'linux' || GPU_DEVICE_NODES.some((node) => existsSync(node));
  },
};

export interface DevicePlan {
  /** Devices to try, best first; the CPU is always last. */
  candidates: Device[];
  /** Devices ruled out before any session was tried, with why. */
  skipped: SkippedDevice[];
}

const NO_CUDA_PROVIDER: SkippedDevice = { device: 'cuda', reason: `${CUDA_PROVIDER_LIBRARY} is not installed next to onnxruntime-node's binary` };

/**
 * The devices to try for a request: `auto` = CUDA (when its provider is installed), WebGPU (unless there is certainly
 * no GPU: trying costs most of a second and Dawn's messages on stderr), CPU. CUDA without its provider is never tried,
 * even when asked for: onnxruntime would print its own multi-line error before ours.
 */
export function planDevices(request: DeviceRequest, probe: DeviceProbe = systemProbe): DevicePlan {
  if (request === 'cpu') return { candidates: ['cpu'], skipped: [] };
  if (request === 'webgpu') return { candidates: ['webgpu', 'cpu'], skipped: [] };
  if (request === 'cuda') return probe.cudaProviderLibrary() ? { candidates: ['cuda', 'cpu'], skipped: [] } : { candidates: ['cpu'], skipped: [NO_CUDA_PROVIDER] };
  const skipped: SkippedDevice[] = [];
  const candidates: Device[] = [];
  if (probe.cudaProviderLibrary()) candidates.push('cuda');
  else skipped.push(NO_CUDA_PROVIDER);
  if (probe.mayHaveGpu()) candidates.push('webgpu');
  else skipped.push({ device: 'webgpu', reason: `no GPU device found (${GPU_DEVICE_NODES.join(', ')})` });
  candidates.push('cpu');
  return { candidates, skipped };
}

/** The useful sentence of an onnxruntime error, without its source-file prefix and stack. */
export function sessionFailureReason(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  const failed = /(Failed to [^\n]*)$/.exec(message);
  return (failed ? failed[1] : message).replace(/\s+/g, ' ').trim();
}

function fallbackWarning(device: Device, reason: string, fallback: Device): string {
  const fix = device === 'cuda' && reason === NO_CUDA_PROVIDER.reason ? `; install it with: ${deforum()} gpu install` : '';
  return `device ${device} failed (${reason}${fix}); falling back to ${fallback}`;
}

export type SessionCreator = (file: string, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;

const createOrtSession: SessionCreator = (file, options) => ort.InferenceSession.create(file, options);

/**
 * Opens every session of one model on one device. The first session decides the device: a candidate whose session
 * cannot be created is dropped (skipped under `auto`, a warning when it was asked for) and the next one is tried.
 */
export class DeviceSessions {
  readonly skipped: SkippedDevice[];
  readonly warnings: string[] = [];
  private readonly candidates: Device[];
  private readonly request: DeviceRequest;
  private readonly create: SessionCreator;

  constructor(request: DeviceRequest, options: { probe?: DeviceProbe; create?: SessionCreator } = {}) {
    const plan = planDevices(request, options.probe);
    this.request = request;
    this.candidates = plan.candidates;
    // a device that was asked for and cannot be used is a warning; under `auto` only a note
    this.skipped = request === 'auto' ? plan.skipped : [];
    if (request !== 'auto') this.warnings.push(...plan.skipped.map(({ device, reason }) => fallbackWarning(device, reason, this.candidates[0])));
    this.create = options.create ?? createOrtSession;
  }

  /** The device sessions are opened on now. */
  get device(): Device {
    return this.candidates[0];
  }

  async open(file: string): Promise<ort.InferenceSession> {
    for (;;) {
      const device = this.candidates[0];
      try {
        return await this.create(file, sessionOptions(device));
      } catch (error) {
        if (device === 'cpu') throw error;
        this.candidates.shift();
        const reason = sessionFailureReason(error);
        if (this.request === 'auto') this.skipped.push({ device, reason });
        else this.warnings.push(fallbackWarning(device, reason, this.candidates[0]));
      }
    }
  }
}
