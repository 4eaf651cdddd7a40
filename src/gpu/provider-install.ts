/**
 * Installs onnxruntime's CUDA execution provider for onnxruntime-node (docs/gpu.md): the npm package
 * com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 ships onnxruntime 1.29.0's provider built for CUDA 13, which pairs
 * only with onnxruntime-node 1.29.0. Fetched with `npm pack`, so npm's own registry, proxy and auth settings apply.
 * On CUDA 12 machines the official route is onnxruntime-node's own install script with ONNXRUNTIME_NODE_INSTALL=cuda12.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { DeforumError, UsageError } from '../errors.js';
import { deforum } from '../invocation.js';

/** The provider package and the one onnxruntime-node version its libraries were built against (docs/gpu.md). */
export const CUDA13_PROVIDER = {
  spec: 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9',
  onnxruntimeVersion: '1.29.0',
  /** Where the package keeps the libraries. */
  folder: 'package/Plugins/Linux/x64',
  libraries: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
} as const;

export const CUDA12_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

/** The onnxruntime-node package folder this program loads. */
export function onnxruntimePackageDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
}

/** Where onnxruntime-node's binary, and so the provider libraries it loads, live inside its package. */
export function providerDir(packageDir: string, platform: string = process.platform, arch: string = process.arch): string {
  return path.join(packageDir, 'bin', 'napi-v6', platform, arch);
}

export function onnxruntimeVersion(packageDir: string): string {
  const file = path.join(packageDir, 'package.json');
  try {
    const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
    if (typeof version === 'string') return version;
  } catch {
    // reported below with the file's name
  }
  throw new DeforumError(`${file}: cannot read onnxruntime-node's version; reinstall it with npm install onnxruntime-node@${CUDA13_PROVIDER.onnxruntimeVersion}`);
}

export interface InstallOptions {
  /** The onnxruntime-node package folder to install into. */
  packageDir?: string;
  platform?: string;
  arch?: string;
  /** What `npm pack` fetches: the pinned provider package, or a folder or tarball holding the same layout. */
  spec?: string;
  /** Where npm runs, so that the project's and user's .npmrc apply. */
  cwd?: string;
  log?: (line: string) => void;
}

export interface InstalledProvider {
  files: string[];
  from: string;
}

function refuseUnsupported(packageDir: string, platform: string, arch: string): void {
  if (platform !== 'linux' || arch !== 'x64') {
    throw new UsageError(`deforum gpu install: the CUDA provider package is built for linux-x64 only; this is ${platform}-${arch}`);
  }
  if (!existsSync(path.join(packageDir, 'package.json'))) {
    throw new UsageError(`deforum gpu install: onnxruntime-node is not installed at ${packageDir}; run npm install first`);
  }
  const version = onnxruntimeVersion(packageDir);
  if (version !== CUDA13_PROVIDER.onnxruntimeVersion) {
    throw new UsageError(
      `deforum gpu install: onnxruntime-node is ${version}, but ${CUDA13_PROVIDER.spec} holds onnxruntime ${CUDA13_PROVIDER.onnxruntimeVersion}'s CUDA provider, ` +
        `which loads only into the same version; run npm install --save-exact onnxruntime-node@${CUDA13_PROVIDER.onnxruntimeVersion}, or on CUDA 12 use ${deforum()} gpu install --cuda12`,
    );
  }
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; inherit?: boolean }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', options.inherit ? 'inherit' : 'pipe', options.inherit ? 'inherit' : 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => reject(new DeforumError(`${command} could not start: ${error.message}`, 1)));
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else {
        // npm's first error line that says what happened (not its code/syscall/errno/path lines or the log pointer)
        const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^npm (warn|notice)/i.test(l));
        const reason = lines.find((l) => !/^npm error (code|syscall|errno|path)\b|complete log/i.test(l)) ?? lines[0];
        reject(new DeforumError(`${command} ${args.join(' ')} failed (exit ${code})${reason ? `: ${reason}` : ''}`, 1));
      }
    });
  });
}

/** Copies next to the binary under a temporary name, then renames: an interrupted install leaves no half library. */
function place(source: string, dir: string): string {
  const target = path.join(dir, path.basename(source));
  const partial = `${target}.partial-${process.pid}`;
  copyFileSync(source, partial);
  renameSync(partial, target);
  return target;
}

/** Fetches the CUDA 13 provider package with npm and places its two libraries next to onnxruntime-node's binary. */
export async function installCudaProvider(options: InstallOptions = {}): Promise<InstalledProvider> {
  const packageDir = options.packageDir ?? onnxruntimePackageDir();
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const spec = options.spec ?? CUDA13_PROVIDER.spec;
  refuseUnsupported(packageDir, platform, arch);
  const binaryDir = providerDir(packageDir, platform, arch);
  if (!existsSync(binaryDir)) throw new UsageError(`deforum gpu install: onnxruntime-node has no binary folder ${binaryDir}; reinstall onnxruntime-node`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'deforum-gpu-install-'));
  try {
    options.log?.(`fetching ${spec} with npm pack (about 180 MB)…`);
    const packed = (await run('npm', ['pack', '--loglevel=error', '--pack-destination', work, spec], { cwd: options.cwd ?? process.cwd() })).trim().split('\n').pop() ?? '';
    await run('tar', ['-xzf', path.join(work, packed), '-C', work], { cwd: work });
    const sources = CUDA13_PROVIDER.libraries.map((name) => path.join(work, CUDA13_PROVIDER.folder, name));
    const absent = sources.filter((file) => !existsSync(file));
    if (absent.length > 0) {
      throw new DeforumError(`${spec} does not contain ${absent.map((f) => path.relative(path.join(work, 'package'), f)).join(', ')}; expected the onnxruntime ${CUDA13_PROVIDER.onnxruntimeVersion} CUDA provider`, 1);
    }
    const files = sources.map((source) => place(source, binaryDir));
    return { files, from: spec };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The official CUDA 12 route: onnxruntime-node's own install script, told to fetch its CUDA 12 provider. */
export async function installCuda12Provider(options: { packageDir?: string } = {}): Promise<void> {
  const packageDir = options.packageDir ?? onnxruntimePackageDir();
  const script = path.join(packageDir, 'script', 'install.js');
  if (!existsSync(script)) throw new UsageError(`deforum gpu install --cuda12: ${script} not found; this onnxruntime-node has no install script (run: ${CUDA12_COMMAND})`);
  await run(process.execPath, [script], { cwd: packageDir, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' }, inherit: true });
}
