/** Where a command's output goes: long output streamed line by line, `-o` files checked before any work. */
import { once } from 'node:events';
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** Writes to a writable stream of about this many characters at once: few syscalls, little memory. */
const BATCH_CHARS = 1 << 16;

/** Writes lines (each followed by a newline) in batches, waiting for the stream to drain: memory stays bounded. */
export async function writeLines(stream: NodeJS.WritableStream, lines: Iterable<string>): Promise<void> {
  let batch = '';
  const flush = async () => {
    const ok = stream.write(batch);
    batch = '';
    if (!ok) await once(stream, 'drain');
  };
  for (const line of lines) {
    batch += `${line}\n`;
    if (batch.length >= BATCH_CHARS) await flush();
  }
  if (batch !== '') await flush();
}

/** A JSON array of many values, one value per line: `[`, `v0,`, …, `vN`, `]`. */
export function* jsonArrayLines<T>(values: Iterable<T>): Generator<string> {
  yield '[';
  let previous: string | undefined;
  for (const value of values) {
    if (previous !== undefined) yield `${previous},`;
    previous = JSON.stringify(value);
  }
  if (previous !== undefined) yield previous;
  yield ']';
}

const stat = (file: string) => {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
};

/** The path an `-o` file will be written to, or a usage error when it names a folder or its folder is missing. */
export function outputFile(file: string, flag = '-o'): string {
  const output = path.resolve(file);
  const stats = stat(output);
  if (stats?.isDirectory()) throw new UsageError(`${flag}: ${file} is a folder; expected a file name`);
  const dir = stat(path.dirname(output));
  if (!dir) throw new UsageError(`${flag}: folder ${path.dirname(output)} does not exist`);
  if (!dir.isDirectory()) throw new UsageError(`${flag}: ${path.dirname(output)} is a file, not a folder`);
  return output;
}
