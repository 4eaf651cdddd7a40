import { KeyframeError } from '../errors.js';
import { InputFileError, readRegularFile } from '../input-file.js';
import type { Animation } from './schema.js';
import { formatProblem, validateAnimationText, type Problem } from './validate.js';
import { deforum } from '../invocation.js';

export interface LoadedAnimation {
  animation: Animation;
  /** Non-fatal findings, formatted `file:line:col: path: message`. */
  warnings: string[];
}

/** Far above any keyframe or settings file people write (kilobytes), far below what would exhaust memory when parsed. */
const MAX_INPUT_FILE_BYTES = 64 * 2 ** 20;

/**
 * Reads the JSON file named by a user (keyframe file, Deforum settings file); a missing, unreadable, special (FIFO,
 * device) or oversized file is bad input (exit 2).
 */
export async function readInputFile(file: string): Promise<string> {
  try {
    // Editors on Windows may save a byte-order mark; JSON has no place for it.
    return readRegularFile(file, MAX_INPUT_FILE_BYTES).toString('utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    if (error.kind === 'missing') throw new KeyframeError(`${file}: no such file`);
    throw new KeyframeError(`${file}: ${error.reason}${error.kind === 'not-regular' ? ', expected a JSON file' : ''}`);
  }
}

/** Loads and validates a keyframe file; the first problem (of all found) becomes the error. */
export async function loadAnimation(file: string): Promise<LoadedAnimation> {
  return parseAnimation(await readInputFile(file), file);
}

/** Validates the text of keyframe file `file` (read earlier, e.g. the copy a render-farm job carries). */
export function parseAnimation(text: string, file: string): LoadedAnimation {
  const { animation, problems, warnings } = validateAnimationText(text);
  if (!animation) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more; run '${deforum()} validate ${file}' to see all)` : '';
    throw new KeyframeError(`${formatProblem(file, problems[0] as Problem)}${more}`);
  }
  return { animation, warnings: warnings.map((w) => formatProblem(file, w)) };
}
