/**
 * The frame loop of a render: the journal decides what is kept (`reuse`), the state the next frames need is restored
 * from the kept frames' bytes, `runGroups` makes the rest through the job → stage adapter (`frame-ops`), and each
 * frame is written durably, then journalled. Stops on request with everything on disk consistent and resumable.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ControlNetRuntime } from '../controlnet/runtime.js';
import { RenderError } from '../errors.js';
import { depthToGrey16 } from '../depth/depth-png.js';
import { decodeImage, encodeGrey16Png, encodePng, readImageFile } from '../image-file.js';
import { deforum } from '../invocation.js';
import { jsonArrayLines, lineChunks } from '../json-lines.js';
import type { Animation } from '../keyframes/schema.js';
import type { FrameJob } from '../plan/frame-job.js';
import type { StableDiffusion } from '../sampler/pipeline.js';
import { nodeFs, writeFileDurable, type RenderFs } from './durable-fs.js';
import type { RenderEvent } from './events.js';
import { frameOps, type DepthPredictor } from './frame-ops.js';
import { cadenceGroups, runGroups, type CadenceGroup, type FrameOutput, type LoopState } from './frame-loop.js';
import { frameJobHash, sha256, type RenderContext } from './job-hash.js';
import { JOURNAL_VERSION, type JournalHeader } from './journal.js';
import { removeStrayTempFiles, type RenderFolder } from './render-folder.js';
import { planReuse, type Reuse } from './reuse.js';

/** Thrown when a render stops on request (Ctrl-C); what is on disk is consistent and resumable. */
export class RenderInterrupted extends RenderError {
  constructor(readonly lastDurableFrame: number) {
    super(lastDurableFrame < 0 ? 'stopped before the first frame' : `stopped after frame ${lastDurableFrame}`, 1);
  }
}

export interface RenderInputs {
  /** The validated animation, its seed resolved (never −1). */
  animation: Animation & { seed: number };
  jobs: FrameJob[];
  /** The keyframe file this render comes from (absolute); a different file in the same folder is refused. */
  source: string;
  /** Where relative paths of the file (initImage, colorCoherenceImage) are resolved. */
  baseDir: string;
  folder: RenderFolder;
  sd: StableDiffusion;
  /** The file's ControlNet units, opened; absent without units. */
  controlnet?: ControlNetRuntime;
  /** Write each frame's pose maps to `detectmaps/` (never into the frames). */
  saveDetectMaps?: boolean;
  /** The file's depth model, for a 3D render or saved depth maps; its identity is in every job hash. */
  depth?: DepthPredictor & { readonly id: string };
  /** Frames to render now (inclusive); `first` can be at most the first frame not yet done. */
  first?: number;
  last?: number;
  /** Re-hash every kept frame, not only the sizes of all and the hashes of the frames the render reads. */
  verifyFrames?: boolean;
  /** Re-render even though the model or device (or file) changed. */
  force?: boolean;
  /** Written to settings.json so the render can be reproduced and resumed. */
  settings: Record<string, unknown>;
  savePlan?: boolean;
  /** Called with each frame written, e.g. to refresh a preview. */
  afterFrame?: (frame: number) => void;
  onEvent?: (event: RenderEvent) => void;
  signal?: AbortSignal;
  /** Stops once the cadence group in progress is written (a farm worker's SIGTERM); `signal` stops at once. */
  stopAfterGroup?: AbortSignal;
  fs?: RenderFs;
}

export interface RenderResult {
  /** Frames 0…lastFrame are durably on disk. */
  lastFrame: number;
  rendered: number;
  reused: number;
  seconds: number;
}

/** The files of a render besides its frames, resolved against the keyframe file's folder. */
interface RenderFiles {
  initImage?: string;
  /** The colour-coherence sample image (colorCoherence "image"). */
  colorImage?: string;
}

function renderFiles(animation: Animation, baseDir: string): RenderFiles {
  const resolve = (file: string | undefined) => (file === undefined ? undefined : path.resolve(baseDir, file));
  return { initImage: resolve(animation.initImage), colorImage: animation.colorCoherence === 'image' ? resolve(animation.colorCoherenceImage) : undefined };
}

function modelIdOf(sd: StableDiffusion): string {
  const d = sd.describe();
  return `${d.name}@${d.fingerprint}${d.vae ? `+vae:${d.vae}` : ''}${d.clipSkip > 1 ? `+clipskip:${d.clipSkip}` : ''}`;
}

const fileHash = async (file: string | undefined): Promise<string | null> => (file === undefined ? null : sha256(await fsp.readFile(file)));

/**
 * Everything outside the frames' jobs that decides their pixels; part of every frame's job hash. A ControlNet unit's
 * per-frame values and pose are in the jobs; here only what a job does not say: its model and modes.
 */
export async function renderContext(animation: Animation, sd: StableDiffusion, files: RenderFiles, depthModel?: string): Promise<RenderContext> {
  return {
    modelId: modelIdOf(sd),
    device: sd.device,
    shared: {
      width: animation.width,
      height: animation.height,
      cadence: animation.diffusionCadence,
      initImage: await fileHash(files.initImage),
      colorCoherenceImage: await fileHash(files.colorImage),
      controlnet: animation.controlnet.filter((unit) => unit.enabled).map(({ model, controlMode, resizeMode }) => ({ model, controlMode, resizeMode })),
      // Depth is a pure function of the frame and the model: the model's identity is all a resume needs of it.
      ...(depthModel ? { depthModel } : {}),
    },
  };
}

const WRITE_ERRORS: Record<string, string> = { ENOSPC: 'the disk is full', EDQUOT: 'the disk quota is used up', EIO: 'an I/O error', EROFS: 'the file system is read-only', EACCES: 'permission denied' };

/** A failed write becomes one clear message that says what is safe; anything else passes through. */
function writeFailure(error: unknown, dir: string, lastDurable?: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !(code in WRITE_ERRORS)) return error;
  const safe = lastDurable === undefined ? 'frames already rendered are untouched' : lastDurable < 0 ? 'no frame is finished yet' : `frames 0-${lastDurable} are safe`;
  return new RenderError(`cannot write to ${dir}: ${WRITE_ERRORS[code]} (${code}); ${safe}; fix it, then run: ${deforum()} resume ${JSON.stringify(dir)}`, 1, { cause: error });
}

/** Opens the render folder: stray temporary files gone, what is kept decided. */
async function openRender(inputs: RenderInputs, fs: RenderFs, context: RenderContext, groups: readonly CadenceGroup[], files: RenderFiles): Promise<Reuse> {
  const { folder, jobs, animation } = inputs;
  await fs.mkdir(folder.framesDir);
  await removeStrayTempFiles(fs, folder);
  const header: JournalHeader = {
    type: 'render',
    version: JOURNAL_VERSION,
    source: inputs.source,
    name: path.basename(folder.dir),
    modelId: context.modelId,
    device: context.device,
    frames: jobs.length,
    createdAt: new Date().toISOString(),
  };
  const colorFromFrame0 = animation.colorCoherence !== 'none' && files.colorImage === undefined;
  return planReuse({ fs, folder, header, context, jobs, groups, colorFromFrame0, force: inputs.force, verifyFrames: inputs.verifyFrames }).catch((error: unknown) => {
    throw writeFailure(error, folder.dir);
  });
}

/** settings.json (and plan.json when asked), once the frames to render are known to be renderable. */
async function writeRenderFiles(inputs: RenderInputs, fs: RenderFs, kept: number): Promise<void> {
  try {
    await writeFileDurable(fs, inputs.folder.settingsFile, `${JSON.stringify(inputs.settings, null, 2)}\n`);
    if (inputs.savePlan) await writeFileDurable(fs, inputs.folder.planFile, lineChunks(jsonArrayLines(inputs.jobs)));
  } catch (error) {
    throw writeFailure(error, inputs.folder.dir, kept - 1);
  }
}

/** The loop state at the first frame to render, from exactly the bytes `planReuse` checked against the journal. */
async function restoreState(animation: Animation, reuse: Reuse, resumeAt: number, files: RenderFiles): Promise<LoopState> {
  const size = { width: animation.width, height: animation.height };
  const decodeFrame = async (frame: number) => decodeImage(reuse.restored.get(frame)!);
  const state: LoopState = {};
  if (resumeAt > 0) state.carried = await decodeFrame(resumeAt - 1);
  if (files.colorImage) state.colorReference = await readImageFile(files.colorImage, size);
  else if (animation.colorCoherence !== 'none' && resumeAt > 0) state.colorReference = await decodeFrame(0);
  return state;
}

/** Writes each new frame durably, then journals it; frames re-made only because their group restarted are skipped. */
function frameCommitter(inputs: RenderInputs, fs: RenderFs, context: RenderContext, reuse: Reuse) {
  const { folder, jobs } = inputs;
  const { kept, journal } = reuse;
  let previousPng = kept.at(-1)?.png;
  let frameStarted = performance.now();
  const progress = { rendered: 0, lastDurable: kept.length - 1 };
  const commit = async ({ frame, image, samplerSeconds, depth }: FrameOutput): Promise<void> => {
    if (frame < kept.length) {
      previousPng = kept[frame].png;
      return;
    }
    const png = await encodePng(image);
    const pngHash = sha256(png);
    const jobHash = frameJobHash(jobs[frame], context, previousPng);
    if (depth && inputs.animation.saveDepthMaps) {
      await fs.mkdir(folder.depthDir);
      await writeFileDurable(fs, folder.depthFile(frame), await encodeGrey16Png(depthToGrey16(depth), image.width, image.height));
    }
    await writeFileDurable(fs, folder.frameFile(frame), png);
    await journal.commit({ frame, job: jobHash, png: pngHash, size: png.length });
    previousPng = pngHash;
    progress.lastDurable = frame;
    progress.rendered += 1;
    const now = performance.now();
    inputs.onEvent?.({ type: 'frame', frame, frames: jobs.length, seconds: (now - frameStarted) / 1000, samplerSeconds, diffused: jobs[frame].diffused, file: folder.frameFile(frame) });
    frameStarted = now;
    inputs.afterFrame?.(frame);
  };
  return { commit, progress };
}

/** The animation's render loop: plan → motion → diffusion → frames + journal, resumable at any point. */
export async function renderFrames(inputs: RenderInputs): Promise<RenderResult> {
  const fs = inputs.fs ?? nodeFs;
  const { animation, jobs, folder, sd } = inputs;
  const emit = (event: RenderEvent) => inputs.onEvent?.(event);
  const started = performance.now();
  const last = Math.min(inputs.last ?? jobs.length - 1, jobs.length - 1);
  const files = renderFiles(animation, inputs.baseDir);
  const context = await renderContext(animation, sd, files, inputs.depth?.id);
  const groups = cadenceGroups(jobs);
  const reuse = await openRender(inputs, fs, context, groups, files);
  const { kept, firstGroup, message } = reuse;
  const first = inputs.first ?? 0;
  // One rule for --frames A-B: each frame is made from the one before, so A can be at most the first frame not done.
  if (first > kept.length) {
    throw new RenderError(`--frames ${first}-${last}: ${kept.length === 0 ? 'no frame is rendered yet' : `frames 0-${kept.length - 1} are rendered`}, and each frame is made from the one before; start at frame ${kept.length} or earlier`);
  }
  await writeRenderFiles(inputs, fs, kept.length);
  emit({ type: 'start', name: animation.name ?? path.basename(folder.dir), outDir: folder.dir, frames: jobs.length, first: Math.max(first, kept.length), last, device: sd.device, reused: kept.length, message });
  const state = await restoreState(animation, reuse, groups[firstGroup]?.start ?? jobs.length, files);
  const size = { width: animation.width, height: animation.height };
  const initImage = files.initImage === undefined ? undefined : await readImageFile(files.initImage, size);
  const work = frameOps({ sd, size, initImage, depth: inputs.depth, saveDepthMaps: animation.saveDepthMaps, controlnet: inputs.controlnet, detectMaps: inputs.saveDetectMaps ? { fs, folder } : undefined, emit, signal: inputs.signal });
  const { commit, progress } = frameCommitter(inputs, fs, context, reuse);
  try {
    await runGroups({
      jobs,
      groups,
      first: firstGroup,
      lastFrame: last,
      cadence: animation.diffusionCadence,
      state,
      work,
      captureColorReference: animation.colorCoherence !== 'none' && !files.colorImage,
      shouldStop: () => inputs.signal?.aborted === true || inputs.stopAfterGroup?.aborted === true,
      emit: commit,
    });
  } catch (error) {
    if (inputs.signal?.aborted) throw new RenderInterrupted(progress.lastDurable);
    throw writeFailure(error, folder.dir, progress.lastDurable);
  }
  if ((inputs.signal?.aborted || inputs.stopAfterGroup?.aborted) && progress.lastDurable < last) throw new RenderInterrupted(progress.lastDurable);
  return { lastFrame: Math.max(progress.lastDurable, last), rendered: progress.rendered, reused: kept.length, seconds: (performance.now() - started) / 1000 };
}
