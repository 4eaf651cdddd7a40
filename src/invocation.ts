/**
 * How this process was started, so that a message that tells the user to run a command names one that works:
 * npm puts `deforum` on the PATH only after `npm link` or a global install, not after `npm install` in the clone.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './models/bundled.js';

/** The file `package.json`'s `bin.deforum` names. */
const binFile = path.join(packageRoot, 'dist', 'cli', 'main.js');

export interface InvocationContext {
  /** The PATH to search for a `deforum`. */
  searchPath: string;
  cwd: string;
  packageRoot: string;
  binFile: string;
}

const realpath = (file: string) => {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
};

/** A word as a POSIX shell reads it back: bare when it has no special characters, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * `deforum` when the first `deforum` on the PATH is this package's bin (npm link, npm install -g .); `npx deforum`
 * inside the package (npm exec runs the project's own bin); otherwise node with the absolute path of the bin.
 */
export function deforumCommand(context: InvocationContext): string {
  const bin = realpath(context.binFile);
  for (const dir of context.searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'deforum');
    if (!existsSync(candidate)) continue;
    if (bin !== undefined && realpath(candidate) === bin) return 'deforum';
    break;
  }
  const relative = path.relative(context.packageRoot, context.cwd);
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) return 'npx deforum';
  return `node ${shellWord(context.binFile)}`;
}

let cached: string | undefined;

/** The command this user runs deforum with, e.g. for `${deforum()} resume DIR`. */
export function deforum(): string {
  cached ??= deforumCommand({ searchPath: process.env.PATH ?? '', cwd: process.cwd(), packageRoot, binFile });
  return cached;
}

/** `--verbose` anywhere on the command line: stack traces with errors and notes such as the devices skipped. */
export const verbose = process.argv.includes('--verbose');
