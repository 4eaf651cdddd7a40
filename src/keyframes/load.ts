import path from 'node:path';
import { KeyframeError } from '../errors.js';
import { InputFileError, readRegularFile } from '../input-file.js';
import { parseParseqManifest, withParseqOverrides, type ParseqManifest } from './parseq.js';
import type { Animation } from './schema.js';
import { formatProblem, validateAnimationText, type Problem } from './validate.js';
import { deforum } from '../invocation.js';

export interface LoadedAnimation {
  animation: Animation;
  /** Non-fatal findings, formatted `file:line:col: path: message`. */
  warnings: string[];
  /**
   * The same findings as the plan words them (`path: message`, unlocated), so a command that prints `warnings` and
   * then plans says each once.
   */
  planWarnings: ReadonlySet<string>;
  /** The Parseq manifest the file names, for the plan (`PlanOptions.parseq`). */
  parseq?: ParseqManifest;
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
export async function parseAnimation(text: string, file: string): Promise<LoadedAnimation> {
  const { animation, problems, warnings } = validateAnimationText(text);
  if (!animation) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more; run '${deforum()} validate ${file}' to see all)` : '';
    throw new KeyframeError(`${formatProblem(file, problems[0] as Problem)}${more}`);
  }
  return { ...(await loadParseqManifest(animation, path.dirname(file))), warnings: warnings.map((w) => formatProblem(file, w)), planWarnings: new Set(warnings.map((w) => `${w.path}: ${w.message}`)) };
}

/**
 * Reads the Parseq manifest a keyframe file names (`parseq`, relative to `baseDir`, the file's folder) and applies
 * its overrides of the frame count, fps and cadence. Wherever an animation is about to be planned: the commands that
 * load the file, and the render, which a resume starts from settings.json alone (an edited manifest is read again).
 */
export async function loadParseqManifest(animation: Animation, baseDir: string): Promise<{ animation: Animation; parseq?: ParseqManifest }> {
  if (!animation.parseq) return { animation };
  const file = path.resolve(baseDir, animation.parseq.manifest);
  const text = await readInputFile(file).catch((error: unknown) => {
    throw error instanceof KeyframeError ? new KeyframeError(`parseq: ${error.message}`, error.exitCode, { cause: error }) : error;
  });
  const parseq = parseParseqManifest(text, animation.parseq.manifest);
  return { animation: withParseqOverrides(animation, parseq), parseq };
}
