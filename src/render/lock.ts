import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, promises as fsp, readFileSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { RenderError } from '../errors.js';

export const LOCK_FILE = 'render.lock';
/** Who held a folder's lock and when, a JSON line per event; written only where `keepLockHistory()` was called. */
export const LOCK_HISTORY_FILE = 'lock-history.jsonl';

/**
 * The holder of a lock. `heartbeatAt` is rewritten every few seconds while the holder lives; it is what a process on
 * another host, which cannot ask whether the holder's pid is alive, judges by: no heartbeat for `staleAfterMs` and the
 * holder is gone (a spot machine taken away, a SIGKILLed worker). Locks written before heartbeats are never judged.
 */
const LockOwnerSchema = z.object({
  pid: z.int().positive(),
  host: z.string(),
  startedAt: z.string(),
  command: z.string(),
  heartbeatAt: z.string().optional(),
  staleAfterMs: z.int().positive().optional(),
});
type LockOwner = z.infer<typeof LockOwnerSchema>;

export const LockHistoryEventSchema = z.object({
  event: z.enum(['acquired', 'took-over', 'released']),
  pid: z.int(),
  host: z.string(),
  at: z.string(),
  /** The holder whose stale lock was taken over. */
  from: z.object({ pid: z.int(), host: z.string(), startedAt: z.string(), heartbeatAt: z.string().optional() }).optional(),
});
export type LockHistoryEvent = z.infer<typeof LockHistoryEventSchema>;

export interface RenderLockOptions {
  /** How often the holder rewrites its heartbeat; a lock silent for six of these is stale to other hosts. */
  heartbeatMs?: number;
}

const HEARTBEAT_MS = 10_000;
/** Missed heartbeats before a lock on another host counts as abandoned: slow file systems and busy machines skip some. */
const MISSED_HEARTBEATS = 6;

let historyKept = false;

/** From now on this process records each lock it takes, takes over or releases in the folder's lock history (the farm worker). */
export function keepLockHistory(): void {
  historyKept = true;
}

/** Appends one event, synchronously so that a release on exit is recorded too; O_APPEND keeps concurrent lines whole. */
function recordLockEvent(dir: string, event: LockHistoryEvent): void {
  if (!historyKept) return;
  try {
    appendFileSync(path.join(dir, LOCK_HISTORY_FILE), `${JSON.stringify(event)}\n`);
  } catch {
    // An audit line that cannot be written never stops a render; the lock itself decides who renders.
  }
}

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

/**
 * A lock or gate whose process may still be running: on this host, its pid exists; on another, its heartbeat is
 * recent (a lock without one is never judged). Hosts' clocks are assumed to agree within `staleAfterMs` (NTP).
 */
function heldByLiveProcess(owner: LockOwner): boolean {
  if (owner.host === os.hostname()) return isAlive(owner.pid);
  if (owner.heartbeatAt === undefined || owner.staleAfterMs === undefined) return true;
  const beat = Date.parse(owner.heartbeatAt);
  return Number.isNaN(beat) || Date.now() - beat <= owner.staleAfterMs;
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
async function removeStaleLock(dir: string, file: string, staleText: string, ownText: string): Promise<boolean> {
  const gate = path.join(dir, `.${LOCK_FILE}.break-${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}`);
  if (!(await createLock(dir, gate, ownText))) {
    const breaker = await readLock(gate);
    if (breaker?.owner !== undefined && !heldByLiveProcess(breaker.owner)) await removeDeadGate(dir, gate, breaker.text);
    return false;
  }
  try {
    if ((await readLock(file))?.text !== staleText) return false;
    await fsp.unlink(file);
    return true;
  } finally {
    await fsp.unlink(gate).catch(() => undefined);
  }
}

/**
 * Rewrites the holder's heartbeat every `heartbeatMs` while the lock is still ours (write-temp-then-rename, so a reader
 * never sees half a lock). A holder stalled past the expiry may find its lock taken over: it then stops beating and
 * its release leaves the new holder's lock alone.
 */
function startHeartbeat(dir: string, file: string, owner: LockOwner, heartbeatMs: number, current: { text: string }): () => void {
  let beating = true;
  let pending: Promise<void> = Promise.resolve();
  const beat = async () => {
    if ((await readLock(file))?.text !== current.text) {
      beating = false;
      return;
    }
    const text = JSON.stringify({ ...owner, heartbeatAt: new Date().toISOString() });
    const temp = path.join(dir, `.${LOCK_FILE}.${process.pid}.${randomUUID()}`);
    await fsp.writeFile(temp, text, { flag: 'wx' });
    await fsp.rename(temp, file).catch(async (error: unknown) => {
      await fsp.unlink(temp).catch(() => undefined);
      throw error;
    });
    current.text = text;
  };
  const timer = setInterval(() => {
    if (beating) pending = pending.then(beat).catch(() => undefined);
  }, heartbeatMs);
  timer.unref();
  return () => {
    beating = false;
    clearInterval(timer);
  };
}

/** The render lock of `dir` is held by a live process (on another host: one whose heartbeat is recent). */
export class RenderLockHeld extends RenderError {}

/**
 * One process per render folder (a render until its video is written, or `deforum verify`): the lock names its
 * process and host, and carries a heartbeat. A lock whose process is gone (killed, crashed; on another host, silent
 * past its expiry) is stale and taken over; a lock held by a live process, or one that names no process, is refused.
 */
export async function acquireRenderLock(dir: string, options: RenderLockOptions = {}): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE);
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const startedAt = new Date().toISOString();
  const owner: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    startedAt,
    command: process.argv.slice(1).join(' '),
    heartbeatAt: startedAt,
    staleAfterMs: heartbeatMs * MISSED_HEARTBEATS,
  };
  const text = JSON.stringify(owner);
  const identity = { pid: owner.pid, host: owner.host };
  let takenOver: LockOwner | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // Another process is removing a stale lock: give it a moment (5 ms, doubling: about 2.5 s in all).
    if (attempt > 0) await sleep(5 * 2 ** (attempt - 1));
    if (await createLock(dir, file, text)) {
      const current = { text };
      recordLockEvent(dir, takenOver
        ? { event: 'took-over', ...identity, at: new Date().toISOString(), from: { pid: takenOver.pid, host: takenOver.host, startedAt: takenOver.startedAt, heartbeatAt: takenOver.heartbeatAt } }
        : { event: 'acquired', ...identity, at: new Date().toISOString() });
      const stopHeartbeat = startHeartbeat(dir, file, owner, heartbeatMs, current);
      // A process that quits at once (a second Ctrl-C) still gives the lock back; only synchronous work runs on exit.
      const releaseOnExit = () => {
        try {
          if (readFileSync(file, 'utf8') === current.text) {
            unlinkSync(file);
            recordLockEvent(dir, { event: 'released', ...identity, at: new Date().toISOString() });
          }
        } catch {
          // already gone
        }
      };
      process.on('exit', releaseOnExit);
      return async () => {
        stopHeartbeat();
        process.off('exit', releaseOnExit);
        if ((await readLock(file))?.text !== current.text) return;
        // Recorded before the lock goes, so the history never shows the next holder before this release.
        recordLockEvent(dir, { event: 'released', ...identity, at: new Date().toISOString() });
        await fsp.unlink(file).catch(() => undefined);
      };
    }
    const lock = await readLock(file);
    if (lock === undefined) continue;
    const holder = lock.owner;
    if (holder === undefined) {
      throw new RenderError(`${file} names no process (it is empty or damaged); if nothing is rendering or verifying ${dir}, delete it and try again`);
    }
    if (heldByLiveProcess(holder)) {
      throw new RenderLockHeld(
        `${dir} is in use by process ${holder.pid} on ${holder.host} (started ${holder.startedAt}: ${holder.command}); wait for it to finish or stop it first`,
      );
    }
    if (await removeStaleLock(dir, file, lock.text, text)) takenOver = holder;
  }
  throw new RenderError(`${dir}: could not take the render lock ${file}`, 1);
}
