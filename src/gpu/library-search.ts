/**
 * Where the dynamic loader would find a shared library (LD_LIBRARY_PATH, then its ldconfig cache), and where pip's
 * nvidia-* wheels keep CUDA libraries it does not search (site-packages/nvidia/<part>/lib, as PyTorch installs them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface LibrarySearch {
  /** LD_LIBRARY_PATH folders, in order: the loader looks there first. */
  ldLibraryPath: string[];
  /** soname → file, from `ldconfig -p` (the loader's cache). */
  ldconfig: ReadonlyMap<string, string>;
  /** Folders the loader does not search by itself (pip's nvidia wheels). */
  otherDirs: string[];
}

export type LibraryLocation =
  | { soname: string; file: string; loadable: boolean }
  | { soname: string; file: undefined; loadable: false };

/** `ldconfig -p` lines such as `\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda/lib/libcudart.so.13`; the first entry of a name wins, as for the loader. */
export function parseLdconfig(text: string): Map<string, string> {
  const cache = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(.+?)\s*$/.exec(line);
    if (match && match[2].includes('x86-64') && !cache.has(match[1])) cache.set(match[1], match[3]);
  }
  return cache;
}

/** Every `nvidia/<part>/lib` folder under the given site-packages folders (cu13, cudnn, cublas, …). */
export function nvidiaWheelDirs(sitePackages: readonly string[]): string[] {
  const dirs: string[] = [];
  for (const root of sitePackages) {
    const nvidia = path.join(root, 'nvidia');
    if (!existsSync(nvidia)) continue;
    for (const part of readdirSync(nvidia).sort()) {
      const lib = path.join(nvidia, part, 'lib');
      if (existsSync(lib)) dirs.push(lib);
    }
  }
  return dirs;
}

export function locateLibrary(soname: string, search: LibrarySearch): LibraryLocation {
  for (const dir of search.ldLibraryPath) {
    const file = path.join(dir, soname);
    if (existsSync(file)) return { soname, file, loadable: true };
  }
  const cached = search.ldconfig.get(soname);
  if (cached) return { soname, file: cached, loadable: true };
  for (const dir of search.otherDirs) {
    const file = path.join(dir, soname);
    if (existsSync(file)) return { soname, file, loadable: false };
  }
  return { soname, file: undefined, loadable: false };
}

function commandOutput(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? result.stdout : '';
}

/** This machine's search: LD_LIBRARY_PATH, `ldconfig -p`, and the site-packages of `python3` on PATH. */
export function systemLibrarySearch(env: NodeJS.ProcessEnv = process.env): LibrarySearch {
  const ldconfig = commandOutput('ldconfig', ['-p']) || commandOutput('/sbin/ldconfig', ['-p']);
  const sitePackages = commandOutput('python3', ['-c', 'import site; print("\\n".join(site.getsitepackages()))']);
  return {
    ldLibraryPath: (env.LD_LIBRARY_PATH ?? '').split(':').filter((dir) => dir !== ''),
    ldconfig: parseLdconfig(ldconfig),
    otherDirs: nvidiaWheelDirs(sitePackages.split('\n').filter((dir) => dir !== '')),
  };
}
