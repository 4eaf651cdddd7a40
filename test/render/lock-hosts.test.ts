import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireRenderLock, keepLockHistory, LOCK_FILE, LOCK_HISTORY_FILE, RenderLockHeld } from '../../src/render/lock.js';
import { repoRoot } from '../helpers.js';

/** The render lock across machines (issue 20): a holder on another host is judged by its heartbeat, never by its pid. */
const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'deforum-lock-hosts-'));
const OTHER_HOST = 'render-node-7';
const lockOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;
const history = (dir: string) => readFileSync(path.join(dir, LOCK_HISTORY_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

function foreignLock(dir: string, heartbeatAgoMs: number | undefined): void {
  const beat = heartbeatAgoMs === undefined ? {} : { heartbeatAt: new Date(Date.now() - heartbeatAgoMs).toISOString(), staleAfterMs: 60_000 };
  // pid 1 exists on this host: a holder from elsewhere must never be judged by a local pid
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: OTHER_HOST, startedAt: 'then', command: 'deforum worker', ...beat }));
}

/**
 * A lock holder on "another host": a process in its own UTS namespace (its own hostname) sharing this file system, as
 * a worker on another machine shares the farm's storage. It takes the lock with a fast heartbeat, prints "held", and
 * keeps it until killed.
 */
function holderOnAnotherHost(dir: string, heartbeatMs: number) {
  const lockModule = pathToFileURL(path.join(repoRoot, 'dist', 'render', 'lock.js')).href;
  const script = `const { acquireRenderLock, keepLockHistory } = await import(${JSON.stringify(lockModule)}); keepLockHistory();
    await acquireRenderLock(${JSON.stringify(dir)}, { heartbeatMs: ${heartbeatMs} }); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn('unshare', ['--uts', 'sh', '-c', `hostname ${OTHER_HOST} && exec "$0" --input-type=module -e "$1"`, process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const held = new Promise<void>((resolve) => child.stdout.setEncoding('utf8').on('data', (text: string) => text.includes('held') && resolve()));
  return { child, held };
}

describe('render lock across hosts', () => {
  keepLockHistory();

  it('refuses a lock from another host whose heartbeat is recent, or which has no heartbeat, whatever its pid', async () => {
    for (const ago of [1000, undefined]) {
      const dir = tempDir();
      foreignLock(dir, ago);
      const refused = acquireRenderLock(dir);
      await expect(refused).rejects.toThrow(new RegExp(`is in use by process 1 on ${OTHER_HOST}`));
      await expect(refused).rejects.toBeInstanceOf(RenderLockHeld);
    }
  });

  it('takes over a lock from another host whose heartbeat expired, and records whose it was', async () => {
    const dir = tempDir();
    foreignLock(dir, 61_000);
    const release = await acquireRenderLock(dir);
    expect(lockOf(dir)).toMatchObject({ pid: process.pid, host: os.hostname() });
    await release();
    expect(history(dir)).toMatchObject([
      { event: 'took-over', pid: process.pid, host: os.hostname(), from: { pid: 1, host: OTHER_HOST } },
      { event: 'released', pid: process.pid },
    ]);
  });

  it('never takes a live holder\'s lock on another host; takes it once that holder is killed and its heartbeat expires', async () => {
    expect(spawnSync('unshare', ['--uts', 'true']).status, 'needs root for unshare --uts (CI runs as root)').toBe(0);
    const dir = tempDir();
    const heartbeatMs = 100;
    const holder = holderOnAnotherHost(dir, heartbeatMs);
    try {
      await holder.held;
      const firstBeat = lockOf(dir).heartbeatAt;
      // Far past the expiry (6 heartbeats): a holder that keeps beating keeps its lock.
      for (let i = 0; i < 12; i++) {
        await expect(acquireRenderLock(dir)).rejects.toThrow(new RegExp(`in use by process \\d+ on ${OTHER_HOST}`));
        await sleep(heartbeatMs);
      }
      expect(lockOf(dir).heartbeatAt).not.toBe(firstBeat);
    } finally {
      holder.child.kill('SIGKILL');
    }
    await new Promise((resolve) => (holder.child.exitCode !== null || holder.child.signalCode !== null ? resolve(null) : holder.child.on('close', resolve)));
    let release: (() => Promise<void>) | undefined;
    for (let i = 0; i < 50 && !release; i++) {
      release = await acquireRenderLock(dir).catch(async (error: unknown) => {
        if (!(error instanceof RenderLockHeld)) throw error;
        await sleep(heartbeatMs);
        return undefined;
      });
    }
    expect(release).toBeDefined();
    await release!();
    const events = history(dir);
    expect(events.map((e) => [e.event, e.host])).toEqual([
      ['acquired', OTHER_HOST],
      ['took-over', os.hostname()],
      ['released', os.hostname()],
    ]);
    expect(events[1].from).toMatchObject({ host: OTHER_HOST, pid: events[0].pid });
  }, 60_000);
});
