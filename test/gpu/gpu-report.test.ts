import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EpProbeResult } from '../../src/gpu/ep-probe.js';
import { checkGpu, vulkanStatus } from '../../src/gpu/gpu-report.js';
import type { LibrarySearch } from '../../src/gpu/library-search.js';
import { providerDir } from '../../src/gpu/provider-install.js';
import { deforum } from '../../src/invocation.js';
import type { Device } from '../../src/sampler/devices.js';

const H100 = { name: 'NVIDIA H100 80GB HBM3', driver: '580.95.05', memory: '81559 MiB' };

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'deforum-gpu-report-'));
}

/** onnxruntime-node 1.29.0 with the CUDA provider installed (or not). */
function onnxruntimeWithProvider(installed: boolean): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '1.29.0' }));
  const bin = providerDir(dir);
  mkdirSync(bin, { recursive: true });
  if (installed) writeFileSync(path.join(bin, 'libonnxruntime_providers_cuda.so'), '');
  return dir;
}

function prober(results: Partial<Record<Device, string>>): (device: Device) => Promise<EpProbeResult> {
  return async (device) => (results[device] === undefined ? { device, works: true } : { device, works: false, reason: results[device] });
}

/** Only the given libraries, in one LD_LIBRARY_PATH folder and one pip-wheel folder. */
function search(onPath: string[], inWheel: string[]): LibrarySearch {
  const root = tempDir();
  for (const [dir, names] of [['ld', onPath], ['wheel', inWheel]] as const) {
    mkdirSync(path.join(root, dir));
    for (const name of names) writeFileSync(path.join(root, dir, name), '');
  }
  return { ldLibraryPath: [path.join(root, 'ld')], ldconfig: new Map(), otherDirs: [path.join(root, 'wheel')] };
}

const allCuda = ['libcuda.so.1', 'libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcurand.so.10', 'libcudnn.so.9', 'libvulkan.so.1'];

describe('checkGpu', () => {
  it('with a working CUDA provider, auto picks CUDA', async () => {
    const report = await checkGpu({ prober: prober({}), packageDir: onnxruntimeWithProvider(true), search: search(allCuda, []), env: {}, nvidiaSmi: () => ({ gpus: [H100] }) });
    expect(report.providers.map((p) => `${p.device}: ${p.status}`)).toEqual(['cuda: works', 'webgpu: works', 'cpu: works']);
    expect(report.autoDevice).toBe('cuda');
    expect(report.cudaLibraries.every((l) => l.location.loadable)).toBe(true);
  });

  it("names the pip wheels of missing CUDA libraries and the LD_LIBRARY_PATH for those the loader cannot see", async () => {
    const s = search(['libcuda.so.1', 'libcudart.so.13'], ['libcublas.so.13', 'libcublasLt.so.13']);
    const report = await checkGpu({ prober: prober({ cuda: 'Failed to load shared library', webgpu: 'Failed to get a WebGPU adapter' }), packageDir: onnxruntimeWithProvider(true), search: s, env: {}, nvidiaSmi: () => ({ gpus: [H100] }) });
    const cuda = report.providers[0];
    expect(cuda.status).toBe('provider does not load');
    expect(cuda.fix).toBe(
      'install libcurand.so.10, libcudnn.so.9 (CUDA 13 toolkit and cuDNN 9, or: pip install nvidia-curand nvidia-cudnn-cu13) and put their lib folders on LD_LIBRARY_PATH; ' +
        `export LD_LIBRARY_PATH=${s.otherDirs[0]}:$LD_LIBRARY_PATH`,
    );
    expect(report.autoDevice).toBe('cpu');
  });

  it('without the provider the fix is deforum gpu install, whatever else is missing', async () => {
    const report = await checkGpu({ prober: prober({ cuda: 'Failed to load shared library' }), packageDir: onnxruntimeWithProvider(false), search: search([], []), env: {}, nvidiaSmi: () => ({ gpus: undefined, note: 'nvidia-smi not found' }) });
    expect(report.providers[0]).toMatchObject({ status: 'CUDA provider not installed', fix: `${deforum()} gpu install (CUDA 13; on CUDA 12: ${deforum()} gpu install --cuda12)` });
    expect(report.autoDevice).toBe('webgpu');
  });

  it('with the provider but no NVIDIA GPU, says so', async () => {
    const report = await checkGpu({ prober: prober({ cuda: 'Failed to load shared library', webgpu: 'Failed to get a WebGPU adapter' }), packageDir: onnxruntimeWithProvider(true), search: search(allCuda, []), env: {}, nvidiaSmi: () => ({ gpus: [] }) });
    expect(report.providers[0].status).toBe('no NVIDIA GPU');
  });

  it('WebGPU without a Vulkan loader: install libvulkan1', async () => {
    const report = await checkGpu({ prober: prober({ webgpu: 'Failed to get a WebGPU adapter: No supported adapters' }), packageDir: onnxruntimeWithProvider(false), search: search([], []), env: {}, nvidiaSmi: () => ({ gpus: [H100] }) });
    expect(report.providers[1]).toMatchObject({ status: 'no adapter', fix: 'install the Vulkan loader libvulkan.so.1 (Debian/Ubuntu: apt-get install libvulkan1)' });
  });
});

describe('vulkanStatus', () => {
  it("points VK_DRIVER_FILES at NVIDIA's container ICD when the loader does not see it", () => {
    const dir = tempDir();
    const icd = path.join(dir, 'nvidia_icd.json');
    writeFileSync(icd, '{}');
    const status = vulkanStatus(search(['libvulkan.so.1'], []), { VK_DRIVER_FILES: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json' }, icd);
    expect(status).toMatchObject({ icdFiles: ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'], icdFromEnv: true, unusedNvidiaIcd: icd });
  });

  it('takes the ICD list from VK_DRIVER_FILES when set', () => {
    const status = vulkanStatus(search([], []), { VK_DRIVER_FILES: '/a/nvidia_icd.json:/b/other.json' }, '/nonexistent/nvidia_icd.json');
    expect(status).toMatchObject({ icdFiles: ['/a/nvidia_icd.json', '/b/other.json'], icdFromEnv: true, unusedNvidiaIcd: undefined });
    expect(status.loader.file).toBeUndefined();
  });
});
