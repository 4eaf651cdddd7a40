/** Where a command's output goes: long output streamed line by line, `-o` files checked before any work. */
import { once } from 'node:events';
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { lineChunks } from '../json-lines.js';

/** Writes lines (each followed by a newline) in chunks, waiting for the stream to drain: memory stays bounded. */
export async function writeLines(stream: NodeJS.WritableStream, lines: Iterable<string>): Promise<void> {
  for (const chunk of lineChunks(lines)) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
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
