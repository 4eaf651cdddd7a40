import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireRenderLock, LOCK_FILE } from '../../src/render/lock.js';
import { repoRoot } from '../helpers.js';

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'deforum-lock-'));
const deadPid = () => spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;

/**
 * Starts `count` processes that all try to take the lock of `dir` at the same moment (the built module, as the CLI
 * runs it); each prints "won" or "refused: <message>" and keeps what it took until killed.
 */
async function race(dir: string, count: number): Promise<string[]> {
  const lockModule = pathToFileURL(path.join(repoRoot, 'dist', 'render', 'lock.js')).href;
  const at = Date.now() + 1500;
  const script = `
    const { acquireRenderLock } = await import(${JSON.stringify(lockModule)});
    while (Date.now() < ${at});
    try { await acquireRenderLock(${JSON.stringify(dir)}); console.log('won'); }
    catch (error) { console.log('refused: ' + error.message); }
    setInterval(() => {}, 1000);`;
  const children = Array.from({ length: count }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const results = await Promise.all(
    children.map(
      (child) =>
        new Promise<string>((resolve) => {
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            out += chunk;
            if (out.includes('\n')) resolve(out.trim());
          });
        }),
    ),
  );
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('close', resolve)))));
  return results;
}

describe('render lock', () => {
  it('refuses a second render while the first holds the lock, naming the process', async () => {
    const dir = tempDir();
    const release = await acquireRenderLock(dir);
    await expect(acquireRenderLock(dir)).rejects.toThrow(new RegExp(`in use by process ${process.pid}`));
    await release();
    const again = await acquireRenderLock(dir);
    await again();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a stale lock left by a killed process', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), startedAt: 'then', command: 'x' }));
    const release = await acquireRenderLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over a stale lock even when a process was killed half-way through removing it', async () => {
    const dir = tempDir();
    const stale = JSON.stringify({ pid: deadPid(), host: os.hostname(), startedAt: 'then', command: 'x' });
    writeFileSync(path.join(dir, LOCK_FILE), stale);
    // The gate a remover holds while it removes that lock, left by a remover that was killed.
    const gate = `.${LOCK_FILE}.break-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
    writeFileSync(path.join(dir, gate), JSON.stringify({ pid: deadPid(), host: os.hostname(), startedAt: 'then', command: 'y' }));
    const release = await acquireRenderLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never calls an empty or half-written lock stale: it is refused and left as it is', async () => {
    for (const text of ['', '{"pid":12', '{"hello":1}']) {
      const dir = tempDir();
      writeFileSync(path.join(dir, LOCK_FILE), text);
      await expect(acquireRenderLock(dir)).rejects.toThrow(/render\.lock names no process \(it is empty or damaged\); if nothing is rendering or verifying .*, delete it and try again/);
      expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(text);
    }
  });

  it('gives the lock to exactly one of many processes taking it at once, in a fresh folder and over a stale lock', async () => {
    const fresh = tempDir();
    const freshResults = await race(fresh, 6);
    expect(freshResults.filter((r) => r === 'won'), freshResults.join('\n')).toHaveLength(1);
    for (const r of freshResults.filter((r) => r !== 'won')) expect(r).toMatch(/^refused: .* is in use by process \d+/);

    const stale = tempDir();
    writeFileSync(path.join(stale, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), startedAt: 'then', command: 'x' }));
    const staleResults = await race(stale, 6);
    expect(staleResults.filter((r) => r === 'won'), staleResults.join('\n')).toHaveLength(1);
    // Only the lock is left: no holder files or stale locks set aside.
    expect(readdirSync(stale)).toEqual([LOCK_FILE]);
  }, 60_000);
});
