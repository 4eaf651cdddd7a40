import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import { decodeImage, encodePng, readImageFile } from '../image-file.js';
import { jsonArrayLines, lineChunks } from '../json-lines.js';
import type { Animation } from '../keyframes/schema.js';
import { applyContrast } from '../motion/contrast.js';
import { blend } from '../motion/blend.js';
import { maintainColors } from '../motion/color-coherence.js';
import { addFrameNoise } from '../motion/frame-noise.js';
import { applyUnsharpMask } from '../motion/unsharp-mask.js';
import { warp2D } from '../motion/warp.js';
import type { FrameJob } from '../plan/frame-job.js';
import { TorchGenerator } from '../sampler/noise.js';
import type { StableDiffusion } from '../sampler/pipeline.js';
import type { ControlNetRuntime } from '../controlnet/runtime.js';
import { nodeFs, writeFileDurable, type RenderFs } from './durable-fs.js';
import type { RenderEvent } from './events.js';
import { cadenceGroups, runGroups, type CadenceGroup, type FrameWork, type LoopState } from './frame-loop.js';
import { frameJobHash, sha256, type RenderContext } from './job-hash.js';
import { RenderJournal, type JournalFrame, type JournalHeader } from './journal.js';
import { removeStrayTempFiles, type RenderFolder } from './render-folder.js';
import { deforum } from '../invocation.js';

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
  fs?: RenderFs;
}

export interface RenderResult {
  /** Frames 0…lastFrame are durably on disk. */
  lastFrame: number;
  rendered: number;
  reused: number;
  seconds: number;
}

interface Reuse {
  journal: RenderJournal;
  /** Index of the first group to render and the frames kept before it. */
  firstGroup: number;
  kept: JournalFrame[];
  /** The bytes, checked against the journal, of the kept frames whose pixels the next frames are made from. */
  restored: Map<number, Buffer>;
  message?: string;
}

function modelIdOf(sd: StableDiffusion): string {
  const d = sd.describe();
  return `${d.name}@${d.fingerprint}${d.vae ? `+vae:${d.vae}` : ''}${d.clipSkip > 1 ? `+clipskip:${d.clipSkip}` : ''}`;
}

const WRITE_ERRORS: Record<string, string> = { ENOSPC: 'the disk is full', EDQUOT: 'the disk quota is used up', EIO: 'an I/O error', EROFS: 'the file system is read-only', EACCES: 'permission denied' };

/** A failed write becomes one clear message that says what is safe; anything else passes through. */
function writeFailure(error: unknown, dir: string, lastDurable?: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !(code in WRITE_ERRORS)) return error;
  const safe = lastDurable === undefined ? 'frames already rendered are untouched' : lastDurable < 0 ? 'no frame is finished yet' : `frames 0-${lastDurable} are safe`;
  return new RenderError(`cannot write to ${dir}: ${WRITE_ERRORS[code]} (${code}); ${safe}; fix it, then run: ${deforum()} resume ${JSON.stringify(dir)}`, 1, { cause: error });
}

/** "keeping frames 0-9", "keeping frame 0", "keeping no frames". */
function frameList(verb: string, count: number): string {
  return count === 0 ? `${verb} no frames` : count === 1 ? `${verb} frame 0` : `${verb} frames 0-${count - 1}`;
}

async function fileHash(file: string | undefined): Promise<string | null> {
  return file === undefined ? null : sha256(await fsp.readFile(file));
}

/** What identifies frame i for the journal: its job and, with ControlNet, the pose each unit draws on it. */
function jobIdentity(inputs: Pick<RenderInputs, 'jobs' | 'controlnet'>, frame: number): unknown {
  const job = inputs.jobs[frame];
  return inputs.controlnet ? { ...job, poses: inputs.controlnet.identitiesAt(frame) } : job;
}

/** Everything outside the frames' jobs that decides their pixels; part of every frame's job hash. */
export async function renderContext(
  animation: Animation,
  sd: StableDiffusion,
  files: { initImageFile?: string; colorImageFile?: string },
): Promise<RenderContext> {
  return {
    modelId: modelIdOf(sd),
    device: sd.device,
    shared: {
      width: animation.width,
      height: animation.height,
      cadence: animation.diffusionCadence,
      initImage: await fileHash(files.initImageFile),
      colorCoherenceImage: await fileHash(files.colorImageFile),
      controlnet: animation.controlnet.filter((unit) => unit.enabled),
    },
  };
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
function framesFedForward(animation: Animation, colorImageFile: string | undefined, resumeAt: number): number[] {
  if (resumeAt === 0) return [];
  const colorFromFrame0 = animation.colorCoherence !== 'none' && colorImageFile === undefined && resumeAt > 1;
  return colorFromFrame0 ? [0, resumeAt - 1] : [resumeAt - 1];
}

/** Why a journalled frame's file cannot be kept, judged by its size; undefined when it can. */
async function sizeProblem(fs: RenderFs, file: string, entry: JournalFrame): Promise<string | undefined> {
  const stats = await fs.stat(file).catch(() => undefined);
  if (stats === undefined) return 'is missing';
  if (!stats.isFile()) return 'is not a regular file';
  return stats.size === entry.size ? undefined : `is damaged (${stats.size} bytes on disk, ${entry.size} in the journal)`;
}

const MODIFIED = 'was modified on disk (its sha256 is not the one in the journal)';

/**
 * Decides which journalled frames stay: the longest prefix whose job hashes match the new plan and whose files have
 * the journal's sizes (with `verifyFrames`, its hashes too). Frames whose pixels feed the frames still to render are
 * re-hashed and kept as read; one that fails is re-rendered, and every frame after it. The render then starts at the
 * cadence group holding the first frame that is not kept.
 */
async function planReuse(
  inputs: RenderInputs,
  fs: RenderFs,
  header: JournalHeader,
  context: RenderContext,
  groups: readonly CadenceGroup[],
  colorImageFile: string | undefined,
): Promise<Reuse> {
  const { folder } = inputs;
  const existing = await RenderJournal.read(fs, folder.dir);
  if (!existing) return { journal: await RenderJournal.write(fs, folder.dir, header), firstGroup: 0, kept: [], restored: new Map() };
  const old = existing.header;
  const changes: string[] = [];
  if (old.source !== header.source) changes.push(`it holds a render of ${old.source}, not ${header.source}`);
  if (old.modelId !== header.modelId) changes.push(`its model was ${old.modelId}, now ${header.modelId}`);
  if (old.device !== header.device) changes.push(`its device was ${old.device}, now ${header.device}`);
  if (changes.length > 0 && !inputs.force) {
    throw new RenderError(`${folder.dir}: ${changes.join('; ')}; add --force to re-render it from frame 0, or choose another --out folder`);
  }
  let kept = changes.length > 0 ? [] : existing.frames.slice(0, inputs.jobs.length);
  // Why the first frame not kept is not (undefined: the journal ends there).
  let problem: string | undefined;
  let previous: string | undefined;
  for (let i = 0; i < kept.length && problem === undefined; i++) {
    const entry = kept[i];
    const file = folder.frameFile(i);
    if (entry.job !== frameJobHash(jobIdentity(inputs, i), context, previous)) problem = 'changed';
    else problem = (await sizeProblem(fs, file, entry)) ?? (inputs.verifyFrames && sha256(await fs.readFile(file)) !== entry.png ? MODIFIED : undefined);
    if (problem !== undefined) kept = kept.slice(0, i);
    previous = entry.png;
  }
  // The frames decoded to continue must be exactly the journal's; cutting at one moves the start, so check again.
  const restored = new Map<number, Buffer>();
  let { firstGroup, resumeAt } = groupStart(groups, kept.length);
  for (let fed = framesFedForward(inputs.animation, colorImageFile, resumeAt); fed.length > 0; ) {
    const frame = fed.shift()!;
    if (restored.has(frame)) continue;
    const bytes = await fs.readFile(folder.frameFile(frame)).catch(() => undefined);
    if (bytes !== undefined && sha256(bytes) === kept[frame].png) {
      restored.set(frame, bytes);
      continue;
    }
    kept = kept.slice(0, frame);
    problem = `${MODIFIED}, and the frames after it are made from its pixels`;
    ({ firstGroup, resumeAt } = groupStart(groups, kept.length));
    fed = framesFedForward(inputs.animation, colorImageFile, resumeAt);
  }
  for (const frame of restored.keys()) if (frame >= kept.length) restored.delete(frame);
  const journalled = existing.frames.length;
  const message =
    changes.length > 0
      ? `--force: ${changes.join('; ')}; re-rendering from frame 0`
      : journalled === 0
        ? undefined
        : problem === undefined
          ? kept.length === inputs.jobs.length
            ? undefined
            : `resuming: frames 0-${kept.length - 1} are done, continuing at frame ${kept.length}`
          : `${frameList('keeping', kept.length)}; frame ${kept.length} ${problem}: re-rendering frames ${kept.length}-${inputs.jobs.length - 1}`;
  const unchanged = kept.length === journalled && changes.length === 0 && old.frames === header.frames;
  const journal = unchanged ? existing : await RenderJournal.write(fs, folder.dir, header, kept);
  return { journal, firstGroup, kept, restored, message };
}

/** The animation's render loop: plan → motion → diffusion → frames + journal, resumable at any point. */
export async function renderFrames(inputs: RenderInputs): Promise<RenderResult> {
  const fs = inputs.fs ?? nodeFs;
  const { animation, jobs, folder, sd } = inputs;
  const emit = (event: RenderEvent) => inputs.onEvent?.(event);
  const started = performance.now();
  const last = Math.min(inputs.last ?? jobs.length - 1, jobs.length - 1);
  const resolve = (file: string | undefined) => (file === undefined ? undefined : path.resolve(inputs.baseDir, file));
  const initImageFile = resolve(animation.initImage);
  const colorImageFile = animation.colorCoherence === 'image' ? resolve(animation.colorCoherenceImage) : undefined;

  await fs.mkdir(folder.framesDir);
  await removeStrayTempFiles(fs, folder);
  const size = { width: animation.width, height: animation.height };
  const context = await renderContext(animation, sd, { initImageFile, colorImageFile });
  const header: JournalHeader = {
    type: 'render',
    version: 1,
    source: inputs.source,
    name: path.basename(folder.dir),
    modelId: context.modelId,
    device: context.device,
    frames: jobs.length,
    createdAt: new Date().toISOString(),
  };
  const groups = cadenceGroups(jobs);
  const { journal, firstGroup, kept, restored, message } = await planReuse(inputs, fs, header, context, groups, colorImageFile).catch((error: unknown) => {
    throw writeFailure(error, folder.dir);
  });
  const resumeAt = groups[firstGroup]?.start ?? jobs.length;
  const first = inputs.first ?? 0;
  // One rule for --frames A-B: each frame is made from the one before, so A can be at most the first frame not done.
  if (first > kept.length) {
    throw new RenderError(`--frames ${first}-${last}: ${kept.length === 0 ? 'no frame is rendered yet' : `frames 0-${kept.length - 1} are rendered`}, and each frame is made from the one before; start at frame ${kept.length} or earlier`);
  }
  try {
    await writeFileDurable(fs, folder.settingsFile, `${JSON.stringify(inputs.settings, null, 2)}\n`);
    if (inputs.savePlan) await writeFileDurable(fs, folder.planFile, lineChunks(jsonArrayLines(jobs)));
  } catch (error) {
    throw writeFailure(error, folder.dir, kept.length - 1);
  }
  emit({ type: 'start', name: animation.name ?? path.basename(folder.dir), outDir: folder.dir, frames: jobs.length, first: Math.max(first, kept.length), last, device: sd.device, reused: kept.length, message });

  // Exactly the bytes planReuse checked against the journal.
  const decodeFrame = async (frame: number) => decodeImage(restored.get(frame)!);
  const state: LoopState = {};
  if (resumeAt > 0) state.carried = await decodeFrame(resumeAt - 1);
  if (colorImageFile) state.colorReference = await readImageFile(colorImageFile, size);
  else if (animation.colorCoherence !== 'none' && resumeAt > 0) state.colorReference = await decodeFrame(0);
  const initImage = initImageFile === undefined ? undefined : await readImageFile(initImageFile, size);

  const work: FrameWork<FrameJob> = {
    warp: (image, job) =>
      warp2D(image, { zoom: job.zoom, angle: job.angle, translationX: job.translationX, translationY: job.translationY, centerX: job.transformCenterX, centerY: job.transformCenterY }, job.borderMode),
    prepareInit: (warped, job, reference) => {
      const matched = reference && job.colorCoherence !== 'none' ? maintainColors(warped, reference, job.colorCoherence === 'image' ? 'lab' : job.colorCoherence) : warped;
      const contrasted = applyContrast(matched, job.contrast);
      const sharpened = job.antiBlurAmount > 0
        ? applyUnsharpMask(contrasted, { amount: job.antiBlurAmount, kernel: job.antiBlurKernel, sigma: job.antiBlurSigma, threshold: job.antiBlurThreshold })
        : contrasted;
      const noise = { type: job.noiseType, perlinW: job.perlinW, perlinH: job.perlinH, perlinOctaves: job.perlinOctaves, perlinPersistence: job.perlinPersistence };
      return addFrameNoise(sharpened, job.noise, new TorchGenerator(job.seed), noise);
    },
    diffuse: async (job, init) => {
      const image = init ?? (job.source === 'init-image' ? initImage : undefined);
      const control = inputs.controlnet ? await inputs.controlnet.frame(job.frame, job.controlnet ?? []) : undefined;
      if (control && inputs.saveDetectMaps) {
        await fs.mkdir(folder.detectMapsDir);
        for (const [unit, map] of control.poseMaps.entries()) {
          await writeFileDurable(fs, path.join(folder.detectMapsDir, `${path.basename(folder.frameFile(job.frame), '.png')}-${unit}.png`), await encodePng(map));
        }
      }
      return sd.generate({
        control: control?.hook,
        prompt: job.prompt.positive,
        negativePrompt: job.prompt.negative,
        promptBlend: job.promptBlend && { prompt: job.promptBlend.next.positive, negativePrompt: job.promptBlend.next.negative, weight: job.promptBlend.weight },
        width: animation.width,
        height: animation.height,
        seed: job.seed,
        steps: job.steps,
        cfg: job.cfg,
        sampler: job.sampler,
        scheduler: job.scheduler,
        ...(image ? { init: image, strength: job.strength, noiseMultiplier: job.noiseMultiplier } : {}),
        onStep: (step, steps) => emit({ type: 'step', frame: job.frame, step, steps }),
        signal: inputs.signal,
      });
    },
    blend,
  };

  let previousPng = kept.length > 0 ? kept[kept.length - 1].png : undefined;
  let rendered = 0;
  // Frames 0…lastDurable are durably on disk (with cadence, kept frames of the restarted group among them).
  let lastDurable = kept.length - 1;
  let frameStarted = performance.now();
  try {
    await runGroups({
      jobs,
      groups,
      first: firstGroup,
      lastFrame: last,
      cadence: animation.diffusionCadence,
      state,
      work,
      captureColorReference: animation.colorCoherence !== 'none' && !colorImageFile,
      shouldStop: () => inputs.signal?.aborted === true,
      emit: async ({ frame, image, samplerSeconds }) => {
        if (frame < kept.length) {
          // Re-made only because its cadence group restarted; the durable copy stays.
          previousPng = kept[frame].png;
          return;
        }
        const png = await encodePng(image);
        const pngHash = sha256(png);
        const jobHash = frameJobHash(jobIdentity(inputs, frame), context, previousPng);
        await writeFileDurable(fs, folder.frameFile(frame), png);
        await journal.commit({ frame, job: jobHash, png: pngHash, size: png.length });
        previousPng = pngHash;
        lastDurable = frame;
        rendered += 1;
        const now = performance.now();
        emit({ type: 'frame', frame, frames: jobs.length, seconds: (now - frameStarted) / 1000, samplerSeconds, diffused: jobs[frame].diffused, file: folder.frameFile(frame) });
        frameStarted = now;
        inputs.afterFrame?.(frame);
      },
    });
  } catch (error) {
    if (inputs.signal?.aborted) throw new RenderInterrupted(lastDurable);
    throw writeFailure(error, folder.dir, lastDurable);
  }
  if (inputs.signal?.aborted && lastDurable < last) throw new RenderInterrupted(lastDurable);
  return { lastFrame: Math.max(lastDurable, last), rendered, reused: kept.length, seconds: (performance.now() - started) / 1000 };
}

