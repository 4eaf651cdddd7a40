import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFs } from '../../src/render/durable-fs.js';
import { JOURNAL_FILE, RenderJournal, type JournalHeader } from '../../src/render/journal.js';

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

  it('reads a torn or hand-edited journal without changing it when read-only (deforum verify)', async () => {
    const dir = tempDir();
    const journal = await RenderJournal.write(nodeFs, dir, header);
    await journal.commit({ frame: 0, job: 'j0', png: 'p0', size: 10 });
    appendFileSync(path.join(dir, JOURNAL_FILE), '{"type":"frame","frame":5,"job":"x","png":"y","size":3}\n{"type":"frame","frame":1,"jo');
    const before = readFileSync(path.join(dir, JOURNAL_FILE));
    const read = (await RenderJournal.read(nodeFs, dir, { readOnly: true }))!;
    expect(read.frames.map((f) => f.frame)).toEqual([0]);
    expect(readFileSync(path.join(dir, JOURNAL_FILE))).toEqual(before);
  });

  it('says a folder named journal.jsonl is not a journal, in one line', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, JOURNAL_FILE));
    await expect(RenderJournal.read(nodeFs, dir)).rejects.toThrow(/journal\.jsonl is a folder, not a render journal/);
  });

  it('says a folder without a journal has none, and rejects a file that is not a journal', async () => {
    const dir = tempDir();
    expect(await RenderJournal.read(nodeFs, dir)).toBeUndefined();
    writeFileSync(path.join(dir, JOURNAL_FILE), 'hello\n');
    await expect(RenderJournal.read(nodeFs, dir)).rejects.toThrow(/not a deforum-ts render journal/);
  });
});
