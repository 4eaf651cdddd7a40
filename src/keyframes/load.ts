import { readFile } from 'node:fs/promises';
import { KeyframeError } from '../errors.js';
import type { Animation } from './schema.js';
import { formatProblem, validateAnimationText, type Problem } from './validate.js';
import { deforum } from '../invocation.js';

export interface LoadedAnimation {
  animation: Animation;
  /** Non-fatal findings, formatted `file:line:col: path: message`. */
  warnings: string[];
}

/** Reads the file named by a user; a missing or unreadable file is bad input (exit 2). */
export async function readInputFile(file: string): Promise<string> {
  try {
    // Editors on Windows may save a byte-order mark; JSON has no place for it.
    return (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyframeError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a JSON file' : `cannot read (${code ?? String(error)})`}`);
  }
}

/** Loads and validates a keyframe file; the first problem (of all found) becomes the error. */
export async function loadAnimation(file: string): Promise<LoadedAnimation> {
  const text = await readInputFile(file);
  const { animation, problems, warnings } = validateAnimationText(text);
  if (!animation) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more; run '${deforum()} validate ${file}' to see all)` : '';
    throw new KeyframeError(`${formatProblem(file, problems[0] as Problem)}${more}`);
  }
  return { animation, warnings: warnings.map((w) => formatProblem(file, w)) };
}
