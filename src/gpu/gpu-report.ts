/**
 * `deforum gpu check` as data: which execution providers work here, the NVIDIA GPU, the CUDA 13 / cuDNN 9 libraries
 * the CUDA provider loads, the Vulkan loader and drivers WebGPU needs, and for each missing piece the fix.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CUDA_PROVIDER_LIBRARY, DEVICES, type Device } from '../sampler/devices.js';
import type { EpProbeResult } from './ep-probe.js';
import { locateLibrary, systemLibrarySearch, type LibraryLocation, type LibrarySearch } from './library-search.js';
import { onnxruntimePackageDir, onnxruntimeVersion, providerDir } from './provider-install.js';
import { deforum } from '../invocation.js';

/** What the CUDA provider of onnxruntime 1.29 for CUDA 13 loads (its ELF NEEDED entries, and cuDNN which it opens at run time). */
export interface RequiredLibrary {
  soname: string;
  what: string;
  /** The pip wheel that ships it (PyTorch's CUDA 13 dependencies), when there is one. */
  pip?: string;
}

export const CUDA_EP_LIBRARIES: readonly RequiredLibrary[] = [
  { soname: 'libcuda.so.1', what: 'NVIDIA driver' },
  { soname: 'libcudart.so.13', what: 'CUDA 13 runtime', pip: 'nvidia-cuda-runtime' },
  { soname: 'libcublas.so.13', what: 'cuBLAS 13', pip: 'nvidia-cublas' },
  { soname: 'libcublasLt.so.13', what: 'cuBLASLt 13', pip: 'nvidia-cublas' },
  { soname: 'libcurand.so.10', what: 'cuRAND 10', pip: 'nvidia-curand' },
  { soname: 'libcudnn.so.9', what: 'cuDNN 9', pip: 'nvidia-cudnn-cu13' },
];

export const VULKAN_LOADER = 'libvulkan.so.1';
/** Where the Vulkan loader looks for drivers (ICD manifests) when VK_DRIVER_FILES is not set. */
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];
/** NVIDIA's container toolkit mounts its Vulkan ICD here, outside the loader's search (docs/gpu.md). */
export const NVIDIA_CONTAINER_ICD = '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json';
/** Vulkan drivers without a GPU: Dawn refuses them as WebGPU adapters (docs/gpu.md). */
const SOFTWARE_ICD = /lvp|llvmpipe|swiftshader/i;

export interface NvidiaGpu {
  name: string;
  driver: string;
  memory: string;
}

export interface LibraryStatus extends RequiredLibrary {
  location: LibraryLocation;
}

export interface VulkanStatus {
  loader: LibraryLocation;
  /** The driver manifests the loader will use, and whether they came from VK_DRIVER_FILES/VK_ICD_FILENAMES. */
  icdFiles: string[];
  icdFromEnv: boolean;
  /** An NVIDIA ICD manifest that exists but that the loader does not see. */
  unusedNvidiaIcd?: string;
}

export interface Check {
  device: Device;
  works: boolean;
  /** Short status, e.g. "works", "CUDA provider not installed", "no adapter". */
  status: string;
  detail?: string;
  fix?: string;
}

export interface GpuReport {
  platform: string;
  onnxruntime: { version: string; binaryDir: string; cudaProvider: string | undefined };
  providers: Check[];
  /** undefined when nvidia-smi is not there. */
  nvidiaGpus: NvidiaGpu[] | undefined;
  nvidiaSmiNote?: string;
  cudaLibraries: LibraryStatus[];
  vulkan: VulkanStatus;
  /** What `--device auto` picks here. */
  autoDevice: Device;
}

export type EpProber = (device: Device) => Promise<EpProbeResult>;

/** Probes in a child process each (see ep-probe-main.ts); a crash or a hang is that device's failure. */
export const childProcessProber: EpProber = (device) =>
  new Promise((resolve) => {
    // the sibling of this module, .js when built or .ts under a loader such as tsx (kept through execArgv)
    const here = fileURLToPath(import.meta.url);
    const entry = path.join(path.dirname(here), `ep-probe-main${path.extname(here)}`);
    execFile(process.execPath, [...process.execArgv, entry, device], { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (line.startsWith('{')) {
        const result = JSON.parse(line) as EpProbeResult;
        // onnxruntime logs the dlopen error (which library is missing) only on stderr
        const dlopen = /with error: (?:\S*\/)?([^\s/:]+\.so[.\d]*): cannot open shared object file/.exec(stderr);
        resolve(dlopen && !result.works ? { ...result, reason: `${result.reason} (${dlopen[1]} not found)` } : result);
      } else {
        resolve({ device, works: false, reason: `the probe process failed: ${error?.signal ?? error?.message.split('\n')[0] ?? 'no result'}` });
      }
    });
  });

export function queryNvidiaSmi(): { gpus: NvidiaGpu[] | undefined; note?: string } {
  const result = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 20_000 });
  if (result.error) return { gpus: undefined, note: 'nvidia-smi not found' };
  if (result.status !== 0) return { gpus: [], note: (result.stdout + result.stderr).trim().split('\n')[0] };
  const gpus = result.stdout
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name, driver, memory] = line.split(',').map((field) => field.trim());
      return { name, driver, memory };
    });
  return { gpus };
}

function icdManifests(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name.endsWith('.json')).sort().map((name) => path.join(dir, name));
}

export function vulkanStatus(search: LibrarySearch, env: NodeJS.ProcessEnv = process.env, nvidiaContainerIcd = NVIDIA_CONTAINER_ICD): VulkanStatus {
  const fromEnv = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const icdFiles = fromEnv ? fromEnv.split(':').filter((file) => file !== '') : ICD_DIRS.flatMap(icdManifests);
  const seesNvidia = icdFiles.some((file) => /nvidia/i.test(path.basename(file)));
  return {
    loader: locateLibrary(VULKAN_LOADER, search),
    icdFiles,
    icdFromEnv: Boolean(fromEnv),
    unusedNvidiaIcd: !seesNvidia && existsSync(nvidiaContainerIcd) ? nvidiaContainerIcd : undefined,
  };
}

/** `export LD_LIBRARY_PATH=…` for libraries that exist where the loader does not look. */
function libraryPathFix(libraries: readonly LibraryStatus[]): string | undefined {
  const dirs = [...new Set(libraries.filter((l) => l.location.file && !l.location.loadable).map((l) => path.dirname(l.location.file!)))];
  return dirs.length > 0 ? `export LD_LIBRARY_PATH=${dirs.join(':')}:$LD_LIBRARY_PATH` : undefined;
}

function cudaCheck(probe: EpProbeResult, providerInstalled: boolean, gpus: NvidiaGpu[] | undefined, libraries: readonly LibraryStatus[]): Check {
  if (probe.works) return { device: 'cuda', works: true, status: 'works' };
  if (!providerInstalled) {
    return { device: 'cuda', works: false, status: 'CUDA provider not installed', detail: `no ${CUDA_PROVIDER_LIBRARY} next to onnxruntime-node's binary`, fix: `${deforum()} gpu install (CUDA 13; on CUDA 12: ${deforum()} gpu install --cuda12)` };
  }
  if (!gpus || gpus.length === 0) {
    return { device: 'cuda', works: false, status: 'no NVIDIA GPU', detail: probe.reason, fix: 'the CUDA provider needs an NVIDIA GPU and its driver (nvidia-smi must list the GPU)' };
  }
  const missing = libraries.filter((l) => !l.location.file);
  const pip = [...new Set(missing.flatMap((l) => (l.pip ? [l.pip] : [])))];
  const pathFix = libraryPathFix(libraries);
  const fixes = [
    ...(missing.length > 0 ? [`install ${missing.map((l) => l.location.soname).join(', ')} (CUDA 13 toolkit and cuDNN 9, or: pip install ${pip.join(' ')}) and put their lib folders on LD_LIBRARY_PATH`] : []),
    ...(pathFix ? [pathFix] : []),
  ];
  return { device: 'cuda', works: false, status: 'provider does not load', detail: probe.reason, fix: fixes.join('; ') || undefined };
}

function webgpuCheck(probe: EpProbeResult, vulkan: VulkanStatus, gpus: NvidiaGpu[] | undefined): Check {
  if (probe.works) return { device: 'webgpu', works: true, status: 'works' };
  const status = /adapter/i.test(probe.reason ?? '') ? 'no adapter' : 'does not load';
  let fix: string;
  if (!vulkan.loader.file) fix = `install the Vulkan loader ${VULKAN_LOADER} (Debian/Ubuntu: apt-get install libvulkan1)`;
  else if (vulkan.unusedNvidiaIcd) fix = `export VK_DRIVER_FILES=${vulkan.unusedNvidiaIcd}`;
  else if (vulkan.icdFiles.every((file) => SOFTWARE_ICD.test(path.basename(file))) || (gpus !== undefined && gpus.length > 0)) {
    fix = "install your GPU's Vulkan driver (for NVIDIA, the driver's nvidia_icd.json) and point VK_DRIVER_FILES at its manifest";
  } else fix = 'none on this machine: WebGPU needs a GPU with a Vulkan driver (software Vulkan such as llvmpipe is refused)';
  return { device: 'webgpu', works: false, status, detail: probe.reason, fix };
}

export interface CheckOptions {
  prober?: EpProber;
  packageDir?: string;
  search?: LibrarySearch;
  env?: NodeJS.ProcessEnv;
  nvidiaSmi?: () => { gpus: NvidiaGpu[] | undefined; note?: string };
}

export async function checkGpu(options: CheckOptions = {}): Promise<GpuReport> {
  const packageDir = options.packageDir ?? onnxruntimePackageDir();
  const binaryDir = providerDir(packageDir);
  const cudaProvider = path.join(binaryDir, CUDA_PROVIDER_LIBRARY);
  const providerInstalled = existsSync(cudaProvider);
  const search = options.search ?? systemLibrarySearch(options.env);
  const probes = await Promise.all(DEVICES.map((device) => (options.prober ?? childProcessProber)(device)));
  const smi = (options.nvidiaSmi ?? queryNvidiaSmi)();
  const cudaLibraries = CUDA_EP_LIBRARIES.map((library) => ({ ...library, location: locateLibrary(library.soname, search) }));
  const vulkan = vulkanStatus(search, options.env);
  const byDevice = (device: Device) => probes.find((p) => p.device === device)!;
  const cpu = byDevice('cpu');
  const providers: Check[] = [
    cudaCheck(byDevice('cuda'), providerInstalled, smi.gpus, cudaLibraries),
    webgpuCheck(byDevice('webgpu'), vulkan, smi.gpus),
    cpu.works ? { device: 'cpu', works: true, status: 'works' } : { device: 'cpu', works: false, status: 'does not load', detail: cpu.reason, fix: 'reinstall onnxruntime-node' },
  ];
  return {
    platform: `${process.platform}-${process.arch}`,
    onnxruntime: { version: onnxruntimeVersion(packageDir), binaryDir, cudaProvider: providerInstalled ? cudaProvider : undefined },
    providers,
    nvidiaGpus: smi.gpus,
    nvidiaSmiNote: smi.note,
    cudaLibraries,
    vulkan,
    autoDevice: providers.find((p) => p.works)?.device ?? 'cpu',
  };
}
