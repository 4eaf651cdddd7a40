import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { isTempFile, type RenderFs } from './durable-fs.js';

/** The files of one render, `renders/<name>/`. */
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

/** Frame files are `frames/000000042.png`: zero-padded to 9 digits like Deforum's `{frame:09}` (deforum.md §g). */
export const FRAME_PATTERN = '%09d.png';

export function frameFileName(frame: number): string {
  return `${String(frame).padStart(9, '0')}.png`;
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
    frameFile: (frame) => path.join(framesDir, frameFileName(frame)),
    videoFile: (extension) => path.join(dir, `${name}.${extension}`),
  };
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

/** Size of a file, or undefined when it does not exist. */
export async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return undefined;
  }
}
