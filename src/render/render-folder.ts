import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { frameFile, framePattern } from '../video/encode.js';
import { isTempFile, type RenderFs } from './durable-fs.js';
import { JOURNAL_FILE } from './journal.js';
import { acquireRenderLock, LOCK_FILE } from './lock.js';

/** The files of one render, `renders/<name>/`; frames are `frames/000000042.png` (the video module's pattern). */
export interface RenderFolder {
  dir: string;
  framesDir: string;
  settingsFile: string;
  planFile: string;
  previewFile: string;
  detectMapsDir: string;
  frameFile(frame: number): string;
  videoFile(extension: string): string;
}

export function renderFolder(dir: string, name: string): RenderFolder {
  const framesDir = path.join(dir, 'frames');
  return {
    dir,
    framesDir,
    settingsFile: path.join(dir, 'settings.json'),
    planFile: path.join(dir, 'plan.json'),
    previewFile: path.join(dir, 'preview.mp4'),
    detectMapsDir: path.join(dir, 'detectmaps'),
    frameFile: (frame) => frameFile(framesDir, framePattern, frame),
    videoFile: (extension) => path.join(dir, `${name}.${extension}`),
  };
}

/**
 * Refuses a folder where something the render writes has the wrong kind (a file named `frames`, a folder named
 * `journal.jsonl`), before anything is written or taken: nothing there is touched.
 */
async function checkFolderShape(folder: RenderFolder, videoExtensions: readonly string[]): Promise<void> {
  const files = [JOURNAL_FILE, LOCK_FILE, path.basename(folder.settingsFile), path.basename(folder.planFile), path.basename(folder.previewFile)]
    .concat(videoExtensions.map((extension) => path.basename(folder.videoFile(extension))))
    .map((name) => path.join(folder.dir, name));
  for (const [entry, folderExpected] of [[folder.framesDir, true] as const, ...files.map((file) => [file, false] as const)]) {
    const stats = await fsp.stat(entry).catch(() => undefined);
    if (stats === undefined || stats.isDirectory() === folderExpected) continue;
    throw new UsageError(
      `${entry} is ${stats.isDirectory() ? 'a folder' : 'not a folder'}, but this render keeps ${folderExpected ? 'its frames in a folder' : 'a file'} there; move it away or choose another render folder`,
    );
  }
}

/**
 * Takes a render folder for one process (a render until its video is written, or `deforum verify`): checks that what
 * is there has the right kind, then takes the lock. Returns the release.
 */
export async function claimRenderFolder(folder: RenderFolder, videoExtensions: readonly string[] = []): Promise<() => Promise<void>> {
  await checkFolderShape(folder, videoExtensions);
  return acquireRenderLock(folder.dir);
}

/** Removes the temporary files a killed render left behind (its frames and journal are untouched). */
export async function removeStrayTempFiles(fs: RenderFs, folder: RenderFolder): Promise<number> {
  let removed = 0;
  for (const dir of [folder.dir, folder.framesDir]) {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.filter(isTempFile)) {
      await fs.unlink(path.join(dir, name));
      removed += 1;
    }
  }
  return removed;
}
