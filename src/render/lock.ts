import { createHash, randomUUID } from 'node:crypto';
import { promises as fsp, readFileSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { RenderError } from '../errors.js';

export const LOCK_FILE = 'render.lock';

const LockOwnerSchema = z.object({ pid: z.int().positive(), host: z.string(), startedAt: z.string(), command: z.string() });
type LockOwner = z.infer<typeof LockOwnerSchema>;

const ATTEMPTS = 10;

/** File systems without hard links (FAT, exFAT, some network shares) answer link() with one of these. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The lock's text and the owner it names (undefined when it names none); undefined when there is no lock. */
async function readLock(file: string): Promise<{ text: string; owner?: LockOwner } | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    return { text: '' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { text };
  }
  const owner = LockOwnerSchema.safeParse(json);
  return { text, owner: owner.success ? owner.data : undefined };
}

/**
 * Creates the lock whole or not at all: the holder is written to a file of our own, then hard-linked to the lock's
 * name, which fails if a lock exists; no reader ever sees an empty or half-written lock. Where hard links are not
 * supported the lock is created exclusively and written (a reader may then see it empty, which is never called stale).
 * False when a lock exists.
 */
async function createLock(dir: string, file: string, text: string): Promise<boolean> {
  const temp = path.join(dir, `.${LOCK_FILE}.${process.pid}.${randomUUID()}`);
  await fsp.writeFile(temp, text, { flag: 'wx' });
  try {
    await fsp.link(temp, file);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(errorCode(error) ?? '')) throw error;
  } finally {
    await fsp.unlink(temp).catch(() => undefined);
  }
  try {
    await fsp.writeFile(file, text, { flag: 'wx' });
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** A lock or gate whose process may still be running (one on another host is never judged). */
function heldByLiveProcess(owner: LockOwner): boolean {
  return owner.host !== os.hostname() || isAlive(owner.pid);
}

/**
 * Removes a gate whose process died while it held it, and only that one: it is renamed aside first and compared with
 * what was judged stale; a gate another process took in the meantime is put back.
 */
async function removeDeadGate(dir: string, gate: string, deadText: string): Promise<void> {
  const aside = path.join(dir, `.${LOCK_FILE}.dead.${process.pid}.${randomUUID()}`);
  try {
    await fsp.rename(gate, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await fsp.readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== deadText) await fsp.link(aside, gate).catch(() => undefined);
  await fsp.unlink(aside);
}

/**
 * Removes a stale lock, and only that one. One process at a time removes a given stale lock: it first takes a gate
 * named after the lock's text (created as the lock is, naming itself), then removes the lock if it still has that
 * text. Nobody else removes a lock whose process is gone, so it cannot change between that check and the removal.
 */
async function removeStaleLock(dir: string, file: string, staleText: string, ownText: string): Promise<void> {
  const gate = path.join(dir, `.${LOCK_FILE}.break-${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}`);
  if (!(await createLock(dir, gate, ownText))) {
    const breaker = await readLock(gate);
    if (breaker?.owner !== undefined && !heldByLiveProcess(breaker.owner)) await removeDeadGate(dir, gate, breaker.text);
    return;
  }
  try {
    if ((await readLock(file))?.text === staleText) await fsp.unlink(file);
  } finally {
    await fsp.unlink(gate).catch(() => undefined);
  }
}

/**
 * One process per render folder (a render until its video is written, or `deforum verify`): the lock names its
 * process. A lock whose process is gone (killed, crashed) is stale and taken over; a lock held by a live process, or
 * one that names no process, is refused.
 */
export async function acquireRenderLock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  const text = JSON.stringify(owner);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // Another process is removing a stale lock: give it a moment (5 ms, doubling: about 2.5 s in all).
    if (attempt > 0) await sleep(5 * 2 ** (attempt - 1));
    if (await createLock(dir, file, text)) {
      // A process that quits at once (a second Ctrl-C) still gives the lock back; only synchronous work runs on exit.
      const releaseOnExit = () => {
        try {
          if (readFileSync(file, 'utf8') === text) unlinkSync(file);
        } catch {
          // already gone
        }
      };
      process.on('exit', releaseOnExit);
      return async () => {
        process.off('exit', releaseOnExit);
        if ((await readLock(file))?.text === text) await fsp.unlink(file).catch(() => undefined);
      };
    }
    const lock = await readLock(file);
    if (lock === undefined) continue;
    const holder = lock.owner;
    if (holder === undefined) {
      throw new RenderError(`${file} names no process (it is empty or damaged); if nothing is rendering or verifying ${dir}, delete it and try again`);
    }
    if (heldByLiveProcess(holder)) {
      throw new RenderError(
        `${dir} is in use by process ${holder.pid} on ${holder.host} (started ${holder.startedAt}: ${holder.command}); wait for it to finish or stop it first`,
      );
    }
    await removeStaleLock(dir, file, lock.text, text);
  }
  throw new RenderError(`${dir}: could not take the render lock ${file}`, 1);
}
