import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { loadParseqManifest } from '../keyframes/load.js';
import type { ParseqManifest } from '../keyframes/parseq.js';
import { resolveRunSeed } from '../keyframes/seeds.js';
import type { Animation } from '../keyframes/schema.js';
import { bundledModelPath, resolveModelDir } from '../models/bundled.js';
import { loadUnitPoseInputs } from '../controlnet/pose-inputs.js';
import { ControlNetRuntime } from '../controlnet/runtime.js';
import { DepthModel } from '../depth/depth-model.js';
import { planAnimation } from '../plan/plan.js';
import type { DeviceRequest } from '../sampler/device-names.js';
import { StableDiffusion } from '../sampler/pipeline.js';
import { extraNetworksWarning } from '../sampler/prompt/extra-networks.js';
import { encodeVideo, framePattern } from '../video/encode.js';
import type { FfmpegTools } from '../video/ffmpeg.js';
import { PreviewEncoder } from '../video/preview.js';
import { crashInjectingFs } from './crash-injection.js';
import { nodeFs, type RenderFs } from './durable-fs.js';
import type { RenderEvent } from './events.js';
import { preflight } from './preflight.js';
import { localInputs } from './remote-inputs.js';
import { claimRenderFolder, renderFolder, renderName, type RenderFolder } from './render-folder.js';
import { RenderInterrupted, renderFrames } from './render-frames.js';
import { readRenderSettings } from './settings-file.js';

export interface RenderRequest {
  animation: Animation;
  /** The keyframe file (absolute); relative paths in it resolve against its folder. */
  source: string;
  /** Default `renders/<name>` under the working directory. */
  outDir?: string;
  /** Overrides the file's model: a bundled model name or a folder. */
  model?: string;
  device: DeviceRequest;
  /** Overrides the file's seed (and a −1 seed's random pick). */
  seed?: number;
  frames?: { first: number; last: number };
  previewEvery?: number;
  force?: boolean;
  /** Re-hash every finished frame before continuing (`deforum resume --verify`). */
  verifyFrames?: boolean;
  savePlan?: boolean;
  /** Write each frame's ControlNet pose maps to `detectmaps/`. */
  saveDetectMaps?: boolean;
  signal?: AbortSignal;
  /** Stops once the cadence group in progress is written, before the video (a farm worker's SIGTERM). */
  stopAfterGroup?: AbortSignal;
  onEvent?: (event: RenderEvent) => void;
  /** Notes for the user (device choice, warnings). */
  log?: (message: string) => void;
  fs?: RenderFs;
}

export interface RenderSummary {
  outDir: string;
  frames: number;
  lastFrame: number;
  rendered: number;
  seconds: number;
  video?: string;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    const file = name === 'deforum-ts' ? path.join(path.dirname(bundledModelPath('x')), '..', 'package.json') : require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}


/** The seed a render of this file into this folder uses: the one it already started with, when the file says −1. */
function previousSeed(folder: RenderFolder, source: string): number | undefined {
  try {
    const settings = readRenderSettings(folder);
    return settings.source === source ? settings.animation.seed : undefined;
  } catch {
    // No settings yet, or a folder the render then refuses, naming what is wrong with it.
    return undefined;
  }
}

/** What settings.json records: the inputs, the model and device used, the versions, where the output goes. */
function settingsRecord(request: RenderRequest, animation: Animation, sd: StableDiffusion, ffmpeg: FfmpegTools, folder: RenderFolder): Record<string, unknown> {
  return {
    generator: `deforum-ts ${packageVersion('deforum-ts')}`,
    source: request.source,
    animation,
    model: sd.describe(),
    device: { requested: request.device, used: sd.device },
    versions: { node: process.version, 'onnxruntime-node': packageVersion('onnxruntime-node'), sharp: packageVersion('sharp'), ffmpeg: ffmpeg.version },
    output: { frames: path.join(folder.framesDir, framePattern), video: folder.videoFile(animation.output.codec) },
  };
}

/** Refreshes the preview every `previewEvery` frames; a failed preview is a warning, never a failed render. */
function previewRefresher(request: RenderRequest, preview: PreviewEncoder | undefined, folder: RenderFolder): ((frame: number) => void) | undefined {
  if (!preview) return undefined;
  return (frame) => {
    if ((frame + 1) % request.previewEvery! !== 0) return;
    preview.request(frame + 1).then(
      () => request.onEvent?.({ type: 'preview', file: folder.previewFile }),
      (error: unknown) => request.signal?.aborted || request.onEvent?.({ type: 'warning', message: `preview: ${error instanceof Error ? error.message : String(error)}` }),
    );
  };
}

/** The video of frames 0…lastFrame. Ctrl-C stops ffmpeg (its partial file removed); every frame is kept, so resume only re-encodes. */
async function encodeRender(request: RenderRequest, animation: Animation, ffmpeg: FfmpegTools, folder: RenderFolder, lastFrame: number): Promise<string> {
  const video = folder.videoFile(animation.output.codec);
  await encodeVideo({
    tools: ffmpeg,
    framesDir: folder.framesDir,
    frameCount: lastFrame + 1,
    fps: animation.fps,
    format: animation.output.codec,
    crf: animation.output.crf,
    preset: animation.output.preset,
    audio: animation.output.audio === undefined ? undefined : path.resolve(path.dirname(request.source), animation.output.audio),
    output: video,
    signal: request.signal,
    onProgress: (progress) => request.onEvent?.({ type: 'encode', file: video, frame: progress.frame, frames: progress.frameCount }),
  }).catch((error: unknown) => {
    throw request.signal?.aborted ? new RenderInterrupted(lastFrame) : error;
  });
  return video;
}

/** The run's animation: its seed resolved (the one the folder started with, for a −1 file), the model overridden. */
function runAnimation(request: RenderRequest, folder: RenderFolder): Animation & { seed: number } {
  const { seed } = resolveRunSeed(request.animation.seed, request.seed ?? previousSeed(folder, request.source));
  return { ...request.animation, seed, ...(request.model ? { model: request.model } : {}) };
}

/** The plan, with the ControlNet units' pose files read, and the frames to render now. */
async function planRun(request: RenderRequest, animation: Animation & { seed: number }, parseq: ParseqManifest | undefined) {
  const seed = animation.seed;
  const poses = await loadUnitPoseInputs(animation.controlnet, { baseDir: path.dirname(request.source), frames: animation.frames });
  const jobs = planAnimation(animation, { seed, poses, parseq, onWarning: (message) => request.onEvent?.({ type: 'warning', message }) });
  const networks = extraNetworksWarning(jobs.flatMap((job) => job.diffusion.extraNetworks ?? []));
  if (networks) request.onEvent?.({ type: 'warning', message: networks });
  const first = request.frames?.first ?? 0;
  const last = Math.min(request.frames?.last ?? jobs.length - 1, jobs.length - 1);
  if (first > last) throw new UsageError(`--frames ${first}-${last}: the animation has frames 0-${jobs.length - 1}`);
  return { jobs, first, last };
}

/** The models a render holds open; each is set as soon as it is open, so what opened is released whatever fails next. */
interface RenderModels {
  sd?: StableDiffusion;
  controlnet?: ControlNetRuntime;
  depth?: DepthModel;
}

/** Opens Stable Diffusion, then on its device the ControlNet units and the depth model the animation needs. */
async function openModels(models: RenderModels, request: RenderRequest, animation: Animation, baseDir: string): Promise<StableDiffusion> {
  const sd = (models.sd = await StableDiffusion.load(resolveModelDir(animation.model, baseDir), { device: request.device, log: request.log }));
  if (animation.controlnet.some((unit) => unit.enabled)) {
    const modelDir = (model: string) => resolveModelDir(model, baseDir);
    models.controlnet = await ControlNetRuntime.open(animation.controlnet, { device: sd.device, modelDir, baseDir, width: animation.width, height: animation.height, frames: animation.frames });
  }
  // Deforum predicts depth in 3D with depth warping, or to save the maps (render.py `predict_depths`).
  if ((animation.animationMode === '3D' && animation.depth.warping) || animation.saveDepthMaps) {
    models.depth = await DepthModel.load(animation.depth.model, { device: sd.device, baseDir, log: request.log });
  }
  return sd;
}

/** `deforum render` and `deforum resume`: validate everything, render the missing frames, then make the video. */
export async function renderAnimation(request: RenderRequest): Promise<RenderSummary> {
  const emit = (event: RenderEvent) => request.onEvent?.(event);
  const baseDir = path.dirname(request.source);
  const name = renderName(request.animation, request.source);
  const outDir = path.resolve(request.outDir ?? path.join('renders', name));
  const folder = renderFolder(outDir, name);
  // The manifest read again: a resume starts from settings.json, and an edited manifest re-renders from its first change.
  const { animation: requested, parseq } = await loadParseqManifest(runAnimation(request, folder), baseDir);
  const ffmpeg = await preflight(request.source, requested, outDir, baseDir);
  // URLs are fetched into the folder before the plan, which reads the files they name (by content, for the job hash).
  const animation = await localInputs(requested, { source: request.source, folder, ffmpeg, onEvent: request.onEvent, signal: request.signal });
  const { jobs, first, last } = await planRun(request, animation, parseq);
  // Held until the video is written: a second render or a verify must not start while this one encodes. Taken
  // before the models load, so a second render is refused at once.
  const releaseFolder = await claimRenderFolder(folder, [animation.output.codec]);
  const models: RenderModels = {};
  const preview = request.previewEvery
    ? new PreviewEncoder({ tools: ffmpeg, framesDir: folder.framesDir, fps: animation.fps, output: folder.previewFile, signal: request.signal })
    : undefined;
  try {
    const sd = await openModels(models, request, animation, baseDir);
    const { controlnet, depth } = models;
    const result = await renderFrames({
      animation,
      jobs,
      source: request.source,
      baseDir,
      folder,
      sd,
      controlnet,
      depth,
      saveDetectMaps: request.saveDetectMaps,
      first,
      last,
      force: request.force,
      verifyFrames: request.verifyFrames,
      settings: settingsRecord(request, animation, sd, ffmpeg, folder),
      savePlan: request.savePlan,
      signal: request.signal,
      stopAfterGroup: request.stopAfterGroup,
      onEvent: request.onEvent,
      fs: request.fs ?? (process.env.DEFORUM_CRASH_AT ? crashInjectingFs(nodeFs, process.env.DEFORUM_CRASH_AT) : undefined),
      afterFrame: previewRefresher(request, preview, folder),
    });
    await preview?.settled();
    const video = await encodeRender(request, animation, ffmpeg, folder, result.lastFrame);
    emit({ type: 'video', file: video });
    emit({ type: 'done', frames: result.lastFrame + 1, rendered: result.rendered, seconds: result.seconds, framesPerMinute: result.rendered / Math.max(result.seconds / 60, 1e-9), video });
    return { outDir, frames: jobs.length, lastFrame: result.lastFrame, rendered: result.rendered, seconds: result.seconds, video };
  } finally {
    // A preview ffmpeg stopped by Ctrl-C has removed its partial file before the process exits.
    await preview?.settled();
    await models.controlnet?.close();
    await models.depth?.release();
    await models.sd?.release();
    await releaseFolder();
  }
}
