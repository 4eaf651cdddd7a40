import type { Command } from 'commander';
import type { GpuReport, LibraryStatus } from '../gpu/gpu-report.js';
import { CUDA12_COMMAND, installCuda12Provider, installCudaProvider } from '../gpu/provider-install.js';
import type { Device } from '../sampler/devices.js';
import { deforum } from '../invocation.js';

const DEVICE_NAMES: Record<Device, string> = { cuda: 'CUDA', webgpu: 'WebGPU', cpu: 'CPU' };

function libraryLine(library: LibraryStatus): string {
  const { file, loadable } = library.location;
  const where = !file ? 'missing' : loadable ? file : `${file} (not on the loader's path)`;
  return `  ${library.soname} (${library.what}): ${where}`;
}

/** The report as the lines a user reads: one per device, then what was found, each problem with its fix. */
export function reportLines(report: GpuReport): string[] {
  const lines = [`onnxruntime-node ${report.onnxruntime.version} on ${report.platform} (${report.onnxruntime.binaryDir})`];
  for (const check of report.providers) {
    const detail = check.detail && check.detail !== check.status ? ` (${check.detail})` : '';
    lines.push(`${DEVICE_NAMES[check.device]}: ${check.status}${check.works ? '' : detail}${check.fix ? `; fix: ${check.fix}` : ''}`);
  }
  if (report.nvidiaGpus === undefined || report.nvidiaGpus.length === 0) {
    lines.push(`GPU: no NVIDIA GPU${report.nvidiaSmiNote ? ` (${report.nvidiaSmiNote})` : ''}`);
  } else {
    for (const gpu of report.nvidiaGpus) lines.push(`GPU: ${gpu.name}, driver ${gpu.driver}, ${gpu.memory}`);
  }
  lines.push('CUDA provider libraries:', ...report.cudaLibraries.map(libraryLine));
  const { loader, icdFiles, icdFromEnv } = report.vulkan;
  lines.push(`Vulkan loader (WebGPU): ${loader.file ?? `${loader.soname} missing`}`);
  const source = icdFromEnv ? 'from VK_DRIVER_FILES' : 'VK_DRIVER_FILES not set';
  lines.push(`Vulkan drivers (${source}): ${icdFiles.length > 0 ? icdFiles.join(', ') : 'none'}`);
  lines.push(`--device auto uses: ${report.autoDevice}`);
  return lines;
}

export function register(program: Command): void {
  const gpu = program.command('gpu').description('set up and check the GPU execution providers (CUDA, WebGPU)');
  gpu
    .command('install')
    .description(`install onnxruntime's CUDA provider next to onnxruntime-node's binary (CUDA 13, onnxruntime-node 1.29.0)`)
    .option('--cuda12', `use onnxruntime-node's own CUDA 12 provider download instead (same as: ${CUDA12_COMMAND})`)
    .action(async (flags: { cuda12?: boolean }) => {
      if (flags.cuda12) {
        await installCuda12Provider();
        process.stdout.write(`installed onnxruntime-node's CUDA 12 provider; check with: ${deforum()} gpu check\n`);
        return;
      }
      const installed = await installCudaProvider({ log: (line) => process.stderr.write(`${line}\n`) });
      for (const file of installed.files) process.stdout.write(`installed ${file}\n`);
      process.stdout.write(`the CUDA provider needs the CUDA 13 and cuDNN 9 libraries on LD_LIBRARY_PATH; check with: ${deforum()} gpu check\n`);
    });
  gpu
    .command('check')
    .description('report which execution providers load, the GPU, the CUDA/cuDNN and Vulkan libraries, and what is missing with the fix')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { json?: boolean }) => {
      // onnxruntime is loaded here, not when the CLI starts (other commands run without it)
      const { checkGpu } = await import('../gpu/gpu-report.js');
      const report = await checkGpu();
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${reportLines(report).join('\n')}\n`);
    });
}
