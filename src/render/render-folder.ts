import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Animation } from '../keyframes/schema.js';
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
  /** `depth/000000042.png`: the saved depth maps (saveDepthMaps), never among the frames. */
  depthDir: string;
  /** Local copies of the files the keyframe file names by URL, downloaded once. */
  inputsDir: string;
  frameFile(frame: number): string;
  depthFile(frame: number): string;
  videoFile(extension: string): string;
}

/** A render's name: the file's `name`, or the keyframe file's name without `.json`. */
export function renderName(animation: Animation, source: string): string {
  return animation.name ?? path.basename(source).replace(/\.json$/i, '');
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
    depthDir: path.join(dir, 'depth'),
    inputsDir: path.join(dir, 'inputs'),
    frameFile: (frame) => frameFile(framesDir, framePattern, frame),
    depthFile: (frame) => frameFile(path.join(dir, 'depth'), framePattern, frame),
    videoFile: (extension) => path.join(dir, `${name}.${extension}`),
  };
}

/** Names of frame files (`000000042.png`). */
export const FRAME_NAME = /^\d+\.png$/;

function misshapen(entry: string, is: string, keeps: string): UsageError {
  return new UsageError(`${entry} is ${is}, but this render keeps ${keeps} there; move it away or choose another render folder`);
}

/**
 * Refuses a folder where something the render reads or writes has the wrong kind (a file named `frames`, a folder
 * named `journal.jsonl` or `frames/000000003.png`, a FIFO that would block a read), before anything is written or
 * taken: nothing there is touched.
 */
async function checkFolderShape(folder: RenderFolder, videoExtensions: readonly string[]): Promise<void> {
  const frames = await fsp.stat(folder.framesDir).catch(() => undefined);
  if (frames && !frames.isDirectory()) throw misshapen(folder.framesDir, 'not a folder', 'its frames in a folder');
  const files = [JOURNAL_FILE, LOCK_FILE, path.basename(folder.settingsFile), path.basename(folder.planFile), path.basename(folder.previewFile)]
    .concat(videoExtensions.map((extension) => path.basename(folder.videoFile(extension))))
    .map((name) => path.join(folder.dir, name));
  for (const file of files) {
    const stats = await fsp.stat(file).catch(() => undefined);
    if (stats && !stats.isFile()) throw misshapen(file, stats.isDirectory() ? 'a folder' : 'not a regular file', 'a file');
  }
  const entries = frames ? await fsp.readdir(folder.framesDir, { withFileTypes: true }) : [];
  const folderAsFrame = entries.find((entry) => entry.isDirectory() && FRAME_NAME.test(entry.name));
  if (folderAsFrame) throw misshapen(path.join(folder.framesDir, folderAsFrame.name), 'a folder', 'a frame');
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
