import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file is `src/models/` (tsx, tests) or `dist/models/` (built), two levels below it. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The folder of a model shipped in the package's `models/` (e.g. `tiny-sd`), wherever the CLI is run from. */
export function bundledModelPath(name: string): string {
  return path.join(packageRoot, 'models', name);
}

/** A bundled model name (`tiny-sd`) or a folder, relative to the keyframe file. */
export function resolveModelDir(model: string, baseDir: string): string {
  if (!model.includes('/') && !model.includes('\\') && existsSync(bundledModelPath(model))) return bundledModelPath(model);
  return path.resolve(baseDir, model);
}
