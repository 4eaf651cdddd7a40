import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { machineDevices, type MachineDevices } from '../machine-devices.js';

// onnxruntime-node 1.29.0 as npm installs it (no CUDA provider). The report is asserted for what this machine offers:
// without a GPU (this machine, CI) every line is exact; with one, the lines that depend on it follow the machine.
describe('deforum gpu check', () => {
  let lines: string[];
  let code: number | null;
  let machine: MachineDevices;
  beforeAll(() => {
    machine = machineDevices();
    const result = runCli(['gpu', 'check']);
    code = result.code;
    lines = result.stdout.trimEnd().split('\n');
  }, 180_000);
  const auto = () => (machine.cuda ? 'cuda' : machine.webgpu ? 'webgpu' : 'cpu');

  it('exits 0 and says what works, what does not, and the fix', () => {
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^onnxruntime-node 1\.29\.0 on linux-x64 \(.*node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\)$/);
    if (!machine.cudaProvider) {
      expect(lines[1]).toBe(
        "CUDA: CUDA provider not installed (no libonnxruntime_providers_cuda.so next to onnxruntime-node's binary); fix: npx deforum gpu install (CUDA 13; on CUDA 12: npx deforum gpu install --cuda12)",
      );
    } else if (machine.cuda) expect(lines[1]).toBe('CUDA: works');
    else expect(lines[1]).toMatch(machine.nvidiaGpus?.length ? /^CUDA: provider does not load \(.+\)(; fix: \S.*)?$/ : /^CUDA: no NVIDIA GPU \(.+\); fix: \S.*$/);
    // the fix depends on whether this machine has the Vulkan loader; the verdict does not
    if (machine.webgpu) expect(lines[2]).toBe('WebGPU: works');
    else if (machine.nvidiaGpus === undefined) expect(lines[2]).toMatch(/^WebGPU: no adapter \(Failed to get a WebGPU adapter[^)]*\); fix: \S.*$/);
    else expect(lines[2]).toMatch(/^WebGPU: (no adapter|does not load) \(.+\); fix: \S.*$/);
    const gpus = machine.nvidiaGpus;
    expect(lines.slice(3, lines.indexOf('CUDA provider libraries:'))).toEqual([
      'CPU: works',
      ...(gpus === undefined ? ['GPU: no NVIDIA GPU (nvidia-smi not found)'] : gpus.map((gpu) => `GPU: ${gpu.name}, driver ${gpu.driver}, ${gpu.memory}`)),
    ]);
    const libraries = lines.slice(lines.indexOf('CUDA provider libraries:') + 1);
    expect(libraries.slice(0, 6).map((line) => line.split(':')[0])).toEqual([
      '  libcuda.so.1 (NVIDIA driver)',
      '  libcudart.so.13 (CUDA 13 runtime)',
      '  libcublas.so.13 (cuBLAS 13)',
      '  libcublasLt.so.13 (cuBLASLt 13)',
      '  libcurand.so.10 (cuRAND 10)',
      '  libcudnn.so.9 (cuDNN 9)',
    ]);
    // nvidia-smi comes with the driver, and the driver with libcuda
    if (gpus === undefined) expect(libraries[0]).toBe('  libcuda.so.1 (NVIDIA driver): missing');
    expect(lines.at(-1)).toBe(`--device auto uses: ${auto()}`);
  });

  it('--json gives the same report as data', () => {
    const result = runCli(['gpu', 'check', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.providers.map((p: { device: string; works: boolean }) => [p.device, p.works])).toEqual([['cuda', machine.cuda], ['webgpu', machine.webgpu], ['cpu', true]]);
    expect(report.onnxruntime.version).toBe('1.29.0');
    expect(report.autoDevice).toBe(auto());
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
