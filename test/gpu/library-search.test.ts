import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateLibrary, nvidiaWheelDirs, parseLdconfig } from '../../src/gpu/library-search.js';

function tempTree(files: string[]): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'deforum-libsearch-'));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), 'ELF');
  }
  return root;
}

describe('parseLdconfig', () => {
  it('maps x86-64 sonames to files, first entry winning, and skips other architectures and the header', () => {
    const text = [
      '1234 libs found in cache `/etc/ld.so.cache\'',
      '\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudart.so.13',
      '\tlibcudart.so.13 (libc6,x86-64) => /opt/other/libcudart.so.13',
      '\tlibvulkan.so.1 (libc6) => /usr/lib/i386-linux-gnu/libvulkan.so.1',
      '\tlibvulkan.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libvulkan.so.1',
    ].join('\n');
    expect([...parseLdconfig(text)]).toEqual([
      ['libcudart.so.13', '/usr/local/cuda-13.0/lib/libcudart.so.13'],
      ['libvulkan.so.1', '/lib/x86_64-linux-gnu/libvulkan.so.1'],
    ]);
  });
});

describe('nvidiaWheelDirs', () => {
  it("finds every nvidia/<part>/lib folder of pip's CUDA wheels, in name order", () => {
    const root = tempTree(['site/nvidia/cu13/lib/libcublas.so.13', 'site/nvidia/cudnn/lib/libcudnn.so.9', 'site/nvidia/cudnn/include/cudnn.h', 'site/nvidia/nccl/include/x.h']);
    const site = path.join(root, 'site');
    expect(nvidiaWheelDirs([site, path.join(root, 'absent')])).toEqual([path.join(site, 'nvidia/cu13/lib'), path.join(site, 'nvidia/cudnn/lib')]);
  });
});

describe('locateLibrary', () => {
  const root = tempTree(['ld/libcublas.so.13', 'wheel/libcublas.so.13', 'wheel/libcudnn.so.9']);
  const search = {
    ldLibraryPath: [path.join(root, 'empty'), path.join(root, 'ld')],
    ldconfig: new Map([['libcudart.so.13', '/usr/local/cuda/lib/libcudart.so.13']]),
    otherDirs: [path.join(root, 'wheel')],
  };

  it('prefers LD_LIBRARY_PATH, then the ldconfig cache, as the loader does', () => {
    expect(locateLibrary('libcublas.so.13', search)).toEqual({ soname: 'libcublas.so.13', file: path.join(root, 'ld/libcublas.so.13'), loadable: true });
    expect(locateLibrary('libcudart.so.13', search)).toEqual({ soname: 'libcudart.so.13', file: '/usr/local/cuda/lib/libcudart.so.13', loadable: true });
  });

  it('marks a library found only in a pip wheel folder as not loadable', () => {
    expect(locateLibrary('libcudnn.so.9', search)).toEqual({ soname: 'libcudnn.so.9', file: path.join(root, 'wheel/libcudnn.so.9'), loadable: false });
  });

  it('reports a library found nowhere as missing', () => {
    expect(locateLibrary('libcurand.so.10', search)).toEqual({ soname: 'libcurand.so.10', file: undefined, loadable: false });
  });
});
