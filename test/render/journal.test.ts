import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nodeFs } from '../../src/render/durable-fs.js';
import { JOURNAL_FILE, RenderJournal, type JournalHeader } from '../../src/render/journal.js';
import { acquireRenderLock, LOCK_FILE } from '../../src/render/lock.js';

const header: JournalHeader = {
  type: 'render',
  version: 1,
  source: '/x/demo.json',
  name: 'demo',
  modelId: 'tiny-sd@abc',
  device: 'cpu',
  frames: 10,
  createdAt: '2026-11-26T00:00:00.000Z',
};

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'deforum-journal-'));

describe('RenderJournal', () => {
  it('records frames in order and reads them back', async () => {
    const dir = tempDir();
    const journal = await RenderJournal.write(nodeFs, dir, header);
    await journal.commit({ frame: 0, job: 'j0', png: 'p0', size: 10 });
    await journal.commit({ frame: 1, job: 'j1', png: 'p1', size: 11 });
    const again = await RenderJournal.read(nodeFs, dir);
    expect(again?.header).toEqual(header);
    expect(again?.frames.map((f) => [f.frame, f.job, f.png, f.size])).toEqual([
      [0, 'j0', 'p0', 10],
      [1, 'j1', 'p1', 11],
    ]);
  });

  it('refuses a frame committed out of order', async () => {
    const journal = await RenderJournal.write(nodeFs, tempDir(), header);
    await expect(journal.commit({ frame: 1, job: 'j', png: 'p', size: 1 })).rejects.toThrow(/out of order/);
  });

  it('drops a torn last line left by a crash, so the next commit appends cleanly', async () => {
    const dir = tempDir();
    const journal = await RenderJournal.write(nodeFs, dir, header);
    await journal.commit({ frame: 0, job: 'j0', png: 'p0', size: 10 });
    appendFileSync(path.join(dir, JOURNAL_FILE), '{"type":"frame","frame":1,"jo');
    const again = (await RenderJournal.read(nodeFs, dir))!;
    expect(again.frames).toHaveLength(1);
    await again.commit({ frame: 1, job: 'j1', png: 'p1', size: 5 });
    const lines = readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]).frame).toBe(1);
  });

  it('keeps only the valid prefix of a hand-edited journal', async () => {
    const dir = tempDir();
    const journal = await RenderJournal.write(nodeFs, dir, header);
    await journal.commit({ frame: 0, job: 'j0', png: 'p0', size: 10 });
    appendFileSync(path.join(dir, JOURNAL_FILE), '{"type":"frame","frame":5,"job":"x","png":"y","size":3}\n');
    const again = (await RenderJournal.read(nodeFs, dir))!;
    expect(again.frames.map((f) => f.frame)).toEqual([0]);
    expect(readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('says a folder without a journal has none, and rejects a file that is not a journal', async () => {
    const dir = tempDir();
    expect(await RenderJournal.read(nodeFs, dir)).toBeUndefined();
    writeFileSync(path.join(dir, JOURNAL_FILE), 'hello\n');
    await expect(RenderJournal.read(nodeFs, dir)).rejects.toThrow(/not a deforum-ts render journal/);
  });
});

describe('render lock', () => {
  it('refuses a second render while the first holds the lock, naming the process', async () => {
    const dir = tempDir();
    const release = await acquireRenderLock(dir);
    await expect(acquireRenderLock(dir)).rejects.toThrow(new RegExp(`being rendered by process ${process.pid}`));
    await release();
    const again = await acquireRenderLock(dir);
    await again();
  });

  it('takes over a stale lock left by a killed process', async () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: os.hostname(), startedAt: 'then', command: 'x' }));
    const release = await acquireRenderLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await release();
  });
});
