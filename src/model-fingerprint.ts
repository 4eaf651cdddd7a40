import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

const SPAN = 1 << 20;

/**
 * A model's content fingerprint for job hashes: sha256 over each file's path (relative to `root`) and size and its
 * first and last MiB, first 10 hex digits. Reading at most 2 MiB a file keeps it instant for multi-GB weights; a
 * retrained model changes its bytes everywhere, so the spans see it.
 */
export function modelFingerprint(root: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(SPAN);
  for (const file of files) {
    const size = statSync(file).size;
    hash.update(`${path.relative(root, file)}:${size}\n`);
    const fd = openSync(file, 'r');
    try {
      for (const position of size > 2 * SPAN ? [0, size - SPAN] : [0]) hash.update(buffer.subarray(0, readSync(fd, buffer, 0, SPAN, position)));
    } finally {
      closeSync(fd);
    }
  }
  return hash.digest('hex').slice(0, 10);
}
