import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

// This machine (and CI): onnxruntime-node 1.29.0 without the CUDA provider, no NVIDIA GPU, no WebGPU adapter.
describe('deforum gpu check', () => {
  let lines: string[];
  let code: number | null;
  beforeAll(() => {
    const result = runCli(['gpu', 'check']);
    code = result.code;
    lines = result.stdout.trimEnd().split('\n');
  });

  it('exits 0 and says what works, what does not, and the fix', () => {
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^onnxruntime-node 1\.29\.0 on linux-x64 \(.*node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\)$/);
    expect(lines[1]).toBe(
      "CUDA: CUDA provider not installed (no libonnxruntime_providers_cuda.so next to onnxruntime-node's binary); fix: npx deforum gpu install (CUDA 13; on CUDA 12: npx deforum gpu install --cuda12)",
    );
    // the fix depends on whether this machine has the Vulkan loader; the verdict does not
    expect(lines[2]).toMatch(/^WebGPU: no adapter \(Failed to get a WebGPU adapter[^)]*\); fix: \S.*$/);
    expect(lines.slice(3, 5)).toEqual(['CPU: works', 'GPU: no NVIDIA GPU (nvidia-smi not found)']);
    expect(lines[5]).toBe('CUDA provider libraries:');
    expect(lines.slice(6, 12).map((line) => line.split(':')[0])).toEqual([
      '  libcuda.so.1 (NVIDIA driver)',
      '  libcudart.so.13 (CUDA 13 runtime)',
      '  libcublas.so.13 (cuBLAS 13)',
      '  libcublasLt.so.13 (cuBLASLt 13)',
      '  libcurand.so.10 (cuRAND 10)',
      '  libcudnn.so.9 (cuDNN 9)',
    ]);
    expect(lines[6]).toBe('  libcuda.so.1 (NVIDIA driver): missing');
    expect(lines.at(-1)).toBe('--device auto uses: cpu');
  });

  it('--json gives the same report as data', () => {
    const result = runCli(['gpu', 'check', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.providers.map((p: { device: string; works: boolean }) => [p.device, p.works])).toEqual([['cuda', false], ['webgpu', false], ['cpu', true]]);
    expect(report.onnxruntime.version).toBe('1.29.0');
    expect(report.autoDevice).toBe('cpu');
    expect(report.cudaLibraries).toHaveLength(6);
  });
});

describe('deforum gpu install', () => {
  it('documents the CUDA 12 route in its help', () => {
    const result = runCli(['gpu', 'install', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--cuda12');
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node');
  });
});
