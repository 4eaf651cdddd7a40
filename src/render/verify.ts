import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import { nodeFs } from './durable-fs.js';
import { sha256 } from './job-hash.js';
import { RenderJournal } from './journal.js';
import { renderFolder } from './render-folder.js';

export interface FrameProblem {
  frame: number;
  file: string;
  problem: 'missing' | 'modified' | 'not in the journal';
}

export interface VerifyReport {
  dir: string;
  journalled: number;
  expected: number;
  problems: FrameProblem[];
}

/** Re-hashes every frame of a render folder against its journal (`deforum verify`); resume itself only checks sizes. */
export async function verifyRender(dir: string): Promise<VerifyReport> {
  const folder = renderFolder(dir, path.basename(dir));
  const journal = await RenderJournal.read(nodeFs, dir);
  if (!journal) throw new RenderError(`${dir}: no journal.jsonl here; is this a render folder (renders/<name>)?`);
  const problems: FrameProblem[] = [];
  for (const entry of journal.frames) {
    const file = folder.frameFile(entry.frame);
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
    if (/^\d+\.png$/.test(name) && frame >= journal.frames.length) problems.push({ frame, file: path.join(folder.framesDir, name), problem: 'not in the journal' });
  }
  return { dir, journalled: journal.frames.length, expected: journal.header.frames, problems };
}
