import path from 'node:path';
import { z } from 'zod';
import { RenderError } from '../errors.js';
import { appendDurable, type RenderFs, writeFileDurable } from './durable-fs.js';

export const JOURNAL_FILE = 'journal.jsonl';

/**
 * Bumped when what a job hash covers changes, so an older render folder re-renders once with a message saying why.
 * 2: FrameJobs grouped by stage, with each ControlNet unit's pose in the job and pose files identified by content.
 */
export const JOURNAL_VERSION = 2;

/** What a render folder belongs to: a frame is only reused by a render with the same identity. */
export const JournalHeaderSchema = z.object({
  type: z.literal('render'),
  version: z.int().positive(),
  /** Absolute path of the keyframe file, so a different file in the same folder is refused. */
  source: z.string(),
  name: z.string(),
  modelId: z.string(),
  device: z.string(),
  frames: z.number().int(),
  createdAt: z.string(),
});
export type JournalHeader = z.infer<typeof JournalHeaderSchema>;

/**
 * One durably finished frame. The job hash chains the previous frame's PNG hash, so an entry is valid only
 * while everything before it is. Nothing else needs journalling: the colour-coherence reference is frame 0
 * (or a reference image named in the file) and the cadence state is the last frame of a cadence group,
 * both restored from their PNGs, whose hashes are here.
 */
export const JournalFrameSchema = z.object({
  type: z.literal('frame'),
  frame: z.number().int().nonnegative(),
  job: z.string(),
  png: z.string(),
  size: z.number().int().positive(),
});
export type JournalFrame = z.infer<typeof JournalFrameSchema>;

/**
 * The append-only record of what is durably rendered (`journal.jsonl`: a header line, then one line per
 * frame in order). A crash can tear only the last line; reading drops it.
 */
export class RenderJournal {
  private constructor(
    private readonly fs: RenderFs,
    readonly file: string,
    readonly header: JournalHeader,
    private readonly entries: JournalFrame[],
  ) {}

  /**
   * Reads the journal of a render folder, or returns undefined when the folder has none. A torn last line or lines
   * after an invalid one are dropped, and removed from the file unless `readOnly` (`deforum verify`).
   */
  static async read(fs: RenderFs, dir: string, options: { readOnly?: boolean } = {}): Promise<RenderJournal | undefined> {
    const file = path.join(dir, JOURNAL_FILE);
    let text: string;
    try {
      text = (await fs.readFile(file)).toString('utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'EISDIR') throw new RenderError(`${file} is a folder, not a render journal; move it away or choose another render folder`);
      throw error;
    }
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < text.length && !options.readOnly) await fs.truncate(file, Buffer.byteLength(text.slice(0, complete)));
    const lines = text.slice(0, complete).split('\n').filter((line) => line.length > 0);
    if (lines.length === 0) return undefined;
    const header = JournalHeaderSchema.safeParse(parseLine(lines[0]));
    if (!header.success) throw new RenderError(`${file}: line 1 is not a deforum-ts render journal header`);
    const entries: JournalFrame[] = [];
    for (let i = 1; i < lines.length; i++) {
      const entry = JournalFrameSchema.safeParse(parseLine(lines[i]));
      // Entries are written in frame order; anything else was edited by hand: keep the valid prefix only.
      if (!entry.success || entry.data.frame !== entries.length) {
        return options.readOnly ? new RenderJournal(fs, file, header.data, entries) : RenderJournal.write(fs, dir, header.data, entries);
      }
      entries.push(entry.data);
    }
    return new RenderJournal(fs, file, header.data, entries);
  }

  /** Starts a journal with the given header and kept entries, replacing any previous one atomically. */
  static async write(fs: RenderFs, dir: string, header: JournalHeader, entries: JournalFrame[] = []): Promise<RenderJournal> {
    const file = path.join(dir, JOURNAL_FILE);
    const text = [header, ...entries].map((record) => `${JSON.stringify(record)}\n`).join('');
    await writeFileDurable(fs, file, text);
    return new RenderJournal(fs, file, header, [...entries]);
  }

  /** Frames durably done, in order from frame 0. */
  get frames(): readonly JournalFrame[] {
    return this.entries;
  }

  async commit(entry: Omit<JournalFrame, 'type'>): Promise<void> {
    if (entry.frame !== this.entries.length) {
      throw new RenderError(`journal: frame ${entry.frame} committed out of order (next is ${this.entries.length})`, 1);
    }
    const record: JournalFrame = { type: 'frame', ...entry };
    await appendDurable(this.fs, this.file, `${JSON.stringify(record)}\n`);
    this.entries.push(record);
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
