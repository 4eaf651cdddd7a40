import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import { nodeFs } from './durable-fs.js';
import { sha256 } from './job-hash.js';
import { JOURNAL_FILE, RenderJournal } from './journal.js';
import { claimRenderFolder, FRAME_NAME, renderFolder } from './render-folder.js';

export interface FrameProblem {
  frame: number;
  file: string;
  problem: 'missing' | 'not a regular file' | 'modified' | 'not in the journal';
}

export interface VerifyReport {
  dir: string;
  journalled: number;
  expected: number;
  problems: FrameProblem[];
}

/** A folder nobody can write to needs no lock: no render can change it while it is read. */
const READ_ONLY = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Re-hashes every frame of a render folder against its journal (`deforum verify`); resume checks every size, and
 * hashes only the frames it continues from. Holds the render lock so that no render writes while it reads, and
 * changes nothing else in the folder.
 */
export async function verifyRender(dir: string): Promise<VerifyReport> {
  const folder = renderFolder(dir, path.basename(dir));
  const noJournal = new RenderError(`${dir}: no journal.jsonl here; is this a render folder (renders/<name>)?`);
  if (!existsSync(path.join(dir, JOURNAL_FILE))) throw noJournal;
  const release = await claimRenderFolder(folder).catch((error: unknown) => {
    if (READ_ONLY.has((error as NodeJS.ErrnoException).code ?? '')) return async () => undefined;
    throw error;
  });
  try {
    const journal = await RenderJournal.read(nodeFs, dir, { readOnly: true });
    if (!journal) throw noJournal;
    const problems: FrameProblem[] = [];
    for (const entry of journal.frames) {
      const file = folder.frameFile(entry.frame);
      // A FIFO or device in a frame's place would block the read or never end.
      const stats = await fsp.stat(file).catch(() => undefined);
      if (stats === undefined || !stats.isFile()) {
        problems.push({ frame: entry.frame, file, problem: stats === undefined ? 'missing' : 'not a regular file' });
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await fsp.readFile(file);
      } catch {
        problems.push({ frame: entry.frame, file, problem: 'missing' });
        continue;
      }
      if (bytes.length !== entry.size || sha256(bytes) !== entry.png) problems.push({ frame: entry.frame, file, problem: 'modified' });
    }
    const names = await fsp.readdir(folder.framesDir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const frame = Number.parseInt(name, 10);
      if (FRAME_NAME.test(name) && frame >= journal.frames.length) problems.push({ frame, file: path.join(folder.framesDir, name), problem: 'not in the journal' });
    }
    return { dir, journalled: journal.frames.length, expected: journal.header.frames, problems };
  } finally {
    await release();
  }
}
