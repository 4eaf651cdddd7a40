import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * The file-system calls a render makes, as one seam: tests swap in a wrapper that fails a chosen call
 * (ENOSPC, EIO) to prove that nothing durable is lost when a write fails mid-frame.
 */
export interface RenderFs {
  open(file: string, flags: string): Promise<fsp.FileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  readFile(file: string): Promise<Buffer>;
  stat(file: string): Promise<{ size: number; isFile(): boolean }>;
  readdir(dir: string): Promise<string[]>;
  truncate(file: string, length: number): Promise<void>;
}

export const nodeFs: RenderFs = {
  open: (file, flags) => fsp.open(file, flags),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
  mkdir: async (dir) => {
    await fsp.mkdir(dir, { recursive: true });
  },
  readFile: (file) => fsp.readFile(file),
  stat: (file) => fsp.stat(file),
  readdir: (dir) => fsp.readdir(dir),
  truncate: (file, length) => fsp.truncate(file, length),
};

/** Temporary files carry this marker so a resume can find and remove the ones a crash left behind. */
export const TEMP_MARKER = '.tmp-';

/** Our temporary files, and the video module's (`.<video>.<random>.partial`) left by a kill during an encode. */
export function isTempFile(name: string): boolean {
  return name.includes(TEMP_MARKER) || (name.startsWith('.') && name.endsWith('.partial'));
}

/** fsync a directory so that a rename or a new file in it survives a power cut. */
export async function syncDir(fs: RenderFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Write-temp-then-rename: the final path holds either the old content or the whole new content, never a
 * torn file. The data is flushed before the rename and the directory after it. Large content comes as chunks
 * (written in order), so it never has to be one string.
 */
export async function writeFileDurable(fs: RenderFs, file: string, data: Uint8Array | string | Iterable<string>): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}${TEMP_MARKER}${process.pid}`);
  let renamed = false;
  try {
    const handle = await fs.open(temp, 'w');
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
      else for (const chunk of data) await handle.writeFile(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
    renamed = true;
    await syncDir(fs, dir);
  } finally {
    if (!renamed) await fs.unlink(temp).catch(() => undefined);
  }
}

/** Append one record and flush it; a crash can leave at most a torn last line, which readers drop. */
export async function appendDurable(fs: RenderFs, file: string, line: string): Promise<void> {
  const handle = await fs.open(file, 'a');
  try {
    await handle.writeFile(line);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
