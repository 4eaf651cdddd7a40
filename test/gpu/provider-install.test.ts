import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeforumError } from '../../src/errors.js';
import { installCudaProvider, providerDir } from '../../src/gpu/provider-install.js';
import { deforum } from '../../src/invocation.js';

/** A stand-in onnxruntime-node package folder with the given version and its linux-x64 binary folder. */
function fakeOnnxruntime(version: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-fake-ort-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version }));
  mkdirSync(providerDir(dir, 'linux', 'x64'), { recursive: true });
  return dir;
}

/** A local package folder with the provider package's layout, which npm packs without a network. */
function fakeProviderPackage(libraries: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-fake-provider-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fake-cuda-provider', version: '0.0.1' }));
  mkdirSync(path.join(dir, 'Plugins/Linux/x64'), { recursive: true });
  for (const [name, content] of Object.entries(libraries)) writeFileSync(path.join(dir, 'Plugins/Linux/x64', name), content);
  return dir;
}

async function refusal(promise: Promise<unknown>): Promise<DeforumError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DeforumError);
  return error as DeforumError;
}

describe('installCudaProvider', () => {
  it('refuses an onnxruntime-node other than 1.29.0, before fetching anything', async () => {
    const packageDir = fakeOnnxruntime('1.30.0');
    const error = await refusal(installCudaProvider({ packageDir, platform: 'linux', arch: 'x64', spec: path.join(packageDir, 'nothing-here') }));
    expect(error.message).toBe(
      'deforum gpu install: onnxruntime-node is 1.30.0, but com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 holds onnxruntime 1.29.0\'s CUDA provider, ' +
        `which loads only into the same version; run npm install --save-exact onnxruntime-node@1.29.0, or on CUDA 12 use ${deforum()} gpu install --cuda12`,
    );
    expect(error.exitCode).toBe(2);
    expect(readdirSync(providerDir(packageDir, 'linux', 'x64'))).toEqual([]);
  });

  it('refuses platforms the provider package has no build for', async () => {
    const error = await refusal(installCudaProvider({ packageDir: fakeOnnxruntime('1.29.0'), platform: 'darwin', arch: 'arm64' }));
    expect(error.message).toBe('deforum gpu install: the CUDA provider package is built for linux-x64 only; this is darwin-arm64');
    expect(error.exitCode).toBe(2);
  });

  it('refuses a folder without onnxruntime-node', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'deforum-no-ort-'));
    const error = await refusal(installCudaProvider({ packageDir: empty, platform: 'linux', arch: 'x64' }));
    expect(error.message).toBe(`deforum gpu install: onnxruntime-node is not installed at ${empty}; run npm install first`);
  });

  it("places both provider libraries next to onnxruntime-node's binary, fetched through npm pack", async () => {
    const packageDir = fakeOnnxruntime('1.29.0');
    const spec = fakeProviderPackage({ 'libonnxruntime_providers_cuda.so': 'cuda provider', 'libonnxruntime_providers_shared.so': 'shared provider', 'libonnxruntime_providers_tensorrt.so': 'trt' });
    const installed = await installCudaProvider({ packageDir, platform: 'linux', arch: 'x64', spec });
    const binaryDir = providerDir(packageDir, 'linux', 'x64');
    expect(installed.files).toEqual([path.join(binaryDir, 'libonnxruntime_providers_cuda.so'), path.join(binaryDir, 'libonnxruntime_providers_shared.so')]);
    expect(readdirSync(binaryDir).sort()).toEqual(['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']);
    expect(readFileSync(path.join(binaryDir, 'libonnxruntime_providers_cuda.so'), 'utf8')).toBe('cuda provider');
  }, 60_000);

  it('says which library a fetched package lacks and installs nothing', async () => {
    const packageDir = fakeOnnxruntime('1.29.0');
    const spec = fakeProviderPackage({ 'libonnxruntime_providers_shared.so': 'shared provider' });
    const error = await refusal(installCudaProvider({ packageDir, platform: 'linux', arch: 'x64', spec }));
    expect(error.message).toBe(`${spec} does not contain Plugins/Linux/x64/libonnxruntime_providers_cuda.so; expected the onnxruntime 1.29.0 CUDA provider`);
    expect(existsSync(path.join(providerDir(packageDir, 'linux', 'x64'), 'libonnxruntime_providers_shared.so'))).toBe(false);
  }, 60_000);
});

describe('installCudaProvider when npm cannot fetch the package', () => {
  it("fails with npm's own reason, exit code 1", async () => {
    const spec = path.join(os.tmpdir(), 'deforum-no-such-provider-folder');
    const error = await refusal(installCudaProvider({ packageDir: fakeOnnxruntime('1.29.0'), platform: 'linux', arch: 'x64', spec }));
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/^npm pack --loglevel=error --pack-destination \S+ \S+ failed \(exit \d+\): npm error enoent Could not read package\.json/);
  }, 60_000);
});
