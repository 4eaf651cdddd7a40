/**
 * Files a user names (keyframe files, settings files, images, audio, pose files) are read only when they are regular
 * files: reading a device such as /dev/zero never ends and grows memory without bound, opening a FIFO for reading
 * blocks until a writer appears, and a directory fails late with a message that names no file.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { DeforumError } from './errors.js';

export type FileProblemKind = 'missing' | 'not-regular' | 'too-large' | 'unreadable';

/** A named file that is missing, not a regular file, too large or unreadable; `reason` completes "FILE …". */
export class InputFileError extends DeforumError {
  constructor(readonly file: string, readonly kind: FileProblemKind, readonly reason: string) {
    super(`${file} ${reason}`);
  }
}

const MISSING = 'does not exist';

function notRegular(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'is a directory';
  const kind = stats.isFIFO() ? 'a FIFO (named pipe)' : stats.isCharacterDevice() ? 'a character device' : stats.isBlockDevice() ? 'a block device' : stats.isSocket() ? 'a socket' : 'not a file';
  return `is ${kind}, not a regular file`;
}

function unreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return MISSING;
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)';
  return `cannot be read (${code ?? String(error)})`;
}

const failure = (file: string, error: unknown): InputFileError => {
  const reason = unreadable(error);
  return new InputFileError(file, reason === MISSING ? 'missing' : 'unreadable', reason);
};

/** The stats of `file` when it is a regular file, without opening it; otherwise an `InputFileError`. */
export async function statRegularFile(file: string): Promise<Stats> {
  let stats: Stats;
  try {
    stats = await stat(file);
  } catch (error) {
    throw failure(file, error);
  }
  const problem = notRegular(stats);
  if (problem) throw new InputFileError(file, 'not-regular', problem);
  return stats;
}

/** Why `file` is not a non-empty regular file, completing "FILE …" ("does not exist", "is a directory", …), or undefined. */
export async function nonEmptyFileProblem(file: string): Promise<string | undefined> {
  try {
    return (await statRegularFile(file)).size === 0 ? 'is empty (0 bytes)' : undefined;
  } catch (error) {
    if (error instanceof InputFileError) return error.reason;
    throw error;
  }
}

const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;

/**
 * The bytes of a regular file of at most `maxBytes`, or an `InputFileError`. The file is opened non-blocking and
 * checked on the open descriptor, so a FIFO or device swapped in after a check is refused too, never read.
 * Synchronous, for synchronous readers too (a model folder's configs): files a user names are read one at a time.
 */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new InputFileError(file, 'not-regular', 'is a directory');
    throw failure(file, error);
  }
  try {
    const stats = fstatSync(fd);
    const problem = notRegular(stats);
    if (problem) throw new InputFileError(file, 'not-regular', problem);
    if (stats.size > maxBytes) throw new InputFileError(file, 'too-large', `is ${megabytes(stats.size)}, more than the ${megabytes(maxBytes)} limit`);
    const buffer = Buffer.alloc(stats.size);
    let filled = 0;
    while (filled < buffer.length) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break; // the file shrank since fstat
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw failure(file, error);
  } finally {
    closeSync(fd);
  }
}

/** The sha256 (hex) of a regular file's bytes, read as a stream: pose videos and images are identified by content. */
export async function sha256OfFile(file: string): Promise<string> {
  await statRegularFile(file);
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    throw failure(file, error);
  }
  return hash.digest('hex');
}
