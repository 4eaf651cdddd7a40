import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RenderError } from '../errors.js';

export const LOCK_FILE = 'render.lock';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * One render per folder: the lock file is created exclusively and names its process. A lock whose process
 * is gone (killed, crashed) is stale and taken over; a lock held by a live process on this host is refused.
 */
export async function acquireRenderLock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fsp.writeFile(file, JSON.stringify(owner), { flag: 'wx' });
      return async () => {
        const current = await readOwner(file);
        if (current?.pid === process.pid) await fsp.unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readOwner(file);
    const stale = holder === undefined || (holder.host === os.hostname() && !isAlive(holder.pid));
    if (!stale) {
      throw new RenderError(
        `${dir} is being rendered by process ${holder.pid} on ${holder.host} (started ${holder.startedAt}: ${holder.command}); wait for it to finish or stop it first`,
      );
    }
    // Stale: its process is gone. Remove and retry the exclusive create, so two takers cannot both win.
    await fsp.unlink(file).catch(() => undefined);
  }
  throw new RenderError(`${dir}: could not take the render lock ${file}`, 1);
}
