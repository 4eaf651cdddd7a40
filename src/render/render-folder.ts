import path from 'node:path';
import { frameFile, framePattern } from '../video/encode.js';
import { isTempFile, type RenderFs } from './durable-fs.js';

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
