/**
 * Which frames of an earlier render in the same folder a render keeps (docs: ARCHITECTURE.md "journal", "job hash"):
 * the longest prefix whose job hashes match the new plan and whose files have the journal's sizes (with
 * `verifyFrames`, its hashes too). Frames whose pixels feed the frames still to render are re-hashed and kept as read;
 * one that fails is re-rendered, and every frame after it. The render then starts at the cadence group holding the
 * first frame that is not kept.
 */
import { RenderError } from '../errors.js';
import type { FrameJob } from '../plan/frame-job.js';
import type { RenderFs } from './durable-fs.js';
import type { CadenceGroup } from './frame-loop.js';
import { frameJobHash, sha256, type RenderContext } from './job-hash.js';
import { JOURNAL_VERSION, RenderJournal, type JournalFrame, type JournalHeader } from './journal.js';
import type { RenderFolder } from './render-folder.js';

export interface ReuseRequest {
  fs: RenderFs;
  folder: RenderFolder;
  header: JournalHeader;
  context: RenderContext;
  jobs: readonly FrameJob[];
  groups: readonly CadenceGroup[];
  /** Frame 0 is the colour-coherence reference (colour coherence on, no colour-sample image). */
  colorFromFrame0: boolean;
  /** Re-render even though the model, device or file changed. */
  force?: boolean;
  /** Re-hash every kept frame, not only the sizes of all and the hashes of the frames the render reads. */
  verifyFrames?: boolean;
}

export interface Reuse {
  journal: RenderJournal;
  /** Index of the first group to render and the frames kept before it. */
  firstGroup: number;
  kept: JournalFrame[];
  /** The bytes, checked against the journal, of the kept frames whose pixels the next frames are made from. */
  restored: Map<number, Buffer>;
  message?: string;
}

/** "keeping frames 0-9", "keeping frame 0", "keeping no frames". */
function frameList(verb: string, count: number): string {
  return count === 0 ? `${verb} no frames` : count === 1 ? `${verb} frame 0` : `${verb} frames 0-${count - 1}`;
}

/** The start of the cadence group holding `frame`: rendering continues there (the group's carry is the frame before). */
function groupStart(groups: readonly CadenceGroup[], frame: number): { firstGroup: number; resumeAt: number } {
  const firstGroup = groups.findIndex((group) => group.end > frame);
  return firstGroup < 0 ? { firstGroup: groups.length, resumeAt: groups.at(-1)?.end ?? 0 } : { firstGroup, resumeAt: groups[firstGroup].start };
}

/**
 * The kept frames whose pixels the render decodes when it continues at `resumeAt`: the frame before it (the previous
 * frame, and with cadence the carried diffusion) and frame 0 when it is the colour-coherence reference. In order.
 */
function framesFedForward(colorFromFrame0: boolean, resumeAt: number): number[] {
  if (resumeAt === 0) return [];
  return colorFromFrame0 && resumeAt > 1 ? [0, resumeAt - 1] : [resumeAt - 1];
}

/** Why a journalled frame's file cannot be kept, judged by its size; undefined when it can. */
async function sizeProblem(fs: RenderFs, file: string, entry: JournalFrame): Promise<string | undefined> {
  const stats = await fs.stat(file).catch(() => undefined);
  if (stats === undefined) return 'is missing';
  if (!stats.isFile()) return 'is not a regular file';
  return stats.size === entry.size ? undefined : `is damaged (${stats.size} bytes on disk, ${entry.size} in the journal)`;
}

const MODIFIED = 'was modified on disk (its sha256 is not the one in the journal)';

/** What makes every journalled frame invalid: another source, model, device or journal version. */
function renderChanges(old: JournalHeader, header: JournalHeader): string[] {
  const changes: string[] = [];
  if (old.source !== header.source) changes.push(`it holds a render of ${old.source}, not ${header.source}`);
  if (old.modelId !== header.modelId) changes.push(`its model was ${old.modelId}, now ${header.modelId}`);
  if (old.device !== header.device) changes.push(`its device was ${old.device}, now ${header.device}`);
  return changes;
}

/** The longest journalled prefix that still matches: job hashes, file sizes (and hashes with `verifyFrames`). */
async function matchingPrefix(request: ReuseRequest, frames: readonly JournalFrame[]): Promise<{ kept: JournalFrame[]; problem?: string }> {
  let previous: string | undefined;
  for (const [i, entry] of frames.entries()) {
    const file = request.folder.frameFile(i);
    let problem: string | undefined;
    if (entry.job !== frameJobHash(request.jobs[i], request.context, previous)) problem = 'changed';
    else problem = (await sizeProblem(request.fs, file, entry)) ?? (request.verifyFrames && sha256(await request.fs.readFile(file)) !== entry.png ? MODIFIED : undefined);
    if (problem !== undefined) return { kept: frames.slice(0, i), problem };
    previous = entry.png;
  }
  return { kept: [...frames] };
}

/** Reads the kept frames the render continues from, cutting `kept` at the first whose bytes are not the journal's. */
async function restoreFedFrames(request: ReuseRequest, kept: JournalFrame[]): Promise<{ kept: JournalFrame[]; restored: Map<number, Buffer>; cut: boolean }> {
  const restored = new Map<number, Buffer>();
  let cut = false;
  let { resumeAt } = groupStart(request.groups, kept.length);
  for (let fed = framesFedForward(request.colorFromFrame0, resumeAt); fed.length > 0; ) {
    const frame = fed.shift()!;
    if (restored.has(frame)) continue;
    const bytes = await request.fs.readFile(request.folder.frameFile(frame)).catch(() => undefined);
    if (bytes !== undefined && sha256(bytes) === kept[frame].png) {
      restored.set(frame, bytes);
      continue;
    }
    // Cutting at this frame moves the start, so the frames fed forward are checked again.
    kept = kept.slice(0, frame);
    cut = true;
    ({ resumeAt } = groupStart(request.groups, kept.length));
    fed = framesFedForward(request.colorFromFrame0, resumeAt);
  }
  for (const frame of restored.keys()) if (frame >= kept.length) restored.delete(frame);
  return { kept, restored, cut };
}

/** Decides what an existing render folder keeps, and writes the journal the render continues. */
export async function planReuse(request: ReuseRequest): Promise<Reuse> {
  const { fs, folder, header, jobs } = request;
  const existing = await RenderJournal.read(fs, folder.dir);
  if (!existing) return { journal: await RenderJournal.write(fs, folder.dir, header), firstGroup: 0, kept: [], restored: new Map() };
  const old = existing.header;
  if (old.version > JOURNAL_VERSION) throw new RenderError(`${folder.dir}: its journal is version ${old.version}, written by a newer deforum-ts; render it with that version, or choose another --out folder`);
  const changes = renderChanges(old, header);
  if (changes.length > 0 && !request.force) throw new RenderError(`${folder.dir}: ${changes.join('; ')}; add --force to re-render it from frame 0, or choose another --out folder`);
  // Journal version 1 hashed flat jobs and pose files by their path from the working directory (issue 14).
  const outdated = old.version < JOURNAL_VERSION;
  const matched = changes.length > 0 || outdated ? { kept: [] } : await matchingPrefix(request, existing.frames.slice(0, jobs.length));
  const fed = await restoreFedFrames(request, matched.kept);
  const { kept, restored } = fed;
  const problem = fed.cut ? `${MODIFIED}, and the frames after it are made from its pixels` : matched.problem;
  const journalled = existing.frames.length;
  let message: string | undefined;
  if (outdated) message = `${folder.dir} was rendered by an older deforum-ts (journal version ${old.version}), whose frames are identified differently (jobs grouped by stage, pose files by content); re-rendering from frame 0`;
  else if (changes.length > 0) message = `--force: ${changes.join('; ')}; re-rendering from frame 0`;
  else if (journalled > 0 && problem !== undefined) message = `${frameList('keeping', kept.length)}; frame ${kept.length} ${problem}: re-rendering frames ${kept.length}-${jobs.length - 1}`;
  else if (journalled > 0 && kept.length < jobs.length) message = `resuming: frames 0-${kept.length - 1} are done, continuing at frame ${kept.length}`;
  const unchanged = kept.length === journalled && changes.length === 0 && !outdated && old.frames === header.frames;
  const journal = unchanged ? existing : await RenderJournal.write(fs, folder.dir, header, kept);
  return { journal, firstGroup: groupStart(request.groups, kept.length).firstGroup, kept, restored, message };
}
