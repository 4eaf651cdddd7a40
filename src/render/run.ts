import { promises as fsp, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { RenderError, UsageError } from '../errors.js';
import { deforum } from '../invocation.js';
import { resolveRunSeed } from '../keyframes/seeds.js';
import type { Animation } from '../keyframes/schema.js';
import { bundledModelPath, resolveModelDir } from '../models/bundled.js';
import { ControlNetRuntime } from '../controlnet/runtime.js';
import { planAnimation } from '../plan/plan.js';
import type { DeviceRequest } from '../sampler/device-names.js';
import { StableDiffusion } from '../sampler/pipeline.js';
import { checkFfmpeg, encodeVideo, framePattern } from '../video/encode.js';
import type { FfmpegTools } from '../video/ffmpeg.js';
import { PreviewEncoder } from '../video/preview.js';
import { crashInjectingFs } from './crash-injection.js';
import { nodeFs, type RenderFs } from './durable-fs.js';
import type { RenderEvent } from './events.js';
import { checkInputFiles, formatInputFileProblem } from './input-files.js';
import { claimRenderFolder, renderFolder, renderName, type RenderFolder } from './render-folder.js';
import { RenderInterrupted, renderFrames } from './render.js';
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

/** Everything that can be checked before the first frame: files, ffmpeg, a writable folder with room for the frames. */
async function preflight(request: RenderRequest, animation: Animation, outDir: string, baseDir: string): Promise<FfmpegTools> {
  const ffmpeg = await checkFfmpeg(animation.output.codec);
  if (animation.colorCoherence === 'image' && !animation.colorCoherenceImage) {
    throw new UsageError(`${request.source}: colorCoherence "image" needs colorCoherenceImage (a path to the colour sample)`);
  }
  const problems = await checkInputFiles(animation, baseDir, ffmpeg);
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more; run '${deforum()} validate ${request.source}' to see all)` : '';
    throw new UsageError(`${formatInputFileProblem(request.source, problems[0])}${more}`);
  }
  try {
    await fsp.mkdir(outDir, { recursive: true });
    await fsp.access(outDir, 2 /* W_OK */);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new UsageError(`--out: ${outDir} is a file, not a folder; choose a folder for the render (its frames, journal and video)`);
    throw new UsageError(`--out: cannot write to ${outDir} (${code ?? String(error)})`);
  }
  // A PNG frame of diffused content is at most about 2 bytes per pixel in practice; ask for that much room.
  const needed = animation.frames * animation.width * animation.height * 2;
  const stats = await fsp.statfs(outDir);
  const free = stats.bavail * stats.bsize;
  if (free < needed) {
    throw new RenderError(`${outDir}: ${(free / 2 ** 20).toFixed(0)} MiB free, but ${animation.frames} frames of ${animation.width}×${animation.height} need about ${(needed / 2 ** 20).toFixed(0)} MiB`);
  }
  return ffmpeg;
}

/** `deforum render` and `deforum resume`: validate everything, render the missing frames, then make the video. */
export async function renderAnimation(request: RenderRequest): Promise<RenderSummary> {
  const emit = (event: RenderEvent) => request.onEvent?.(event);
  const baseDir = path.dirname(request.source);
  const name = renderName(request.animation, request.source);
  const outDir = path.resolve(request.outDir ?? path.join('renders', name));
  const folder = renderFolder(outDir, name);
  const { seed } = resolveRunSeed(request.animation.seed, request.seed ?? previousSeed(folder, request.source));
  const animation = { ...request.animation, seed, ...(request.model ? { model: request.model } : {}) };
  const jobs = planAnimation(animation, { seed, onWarning: (message) => emit({ type: 'warning', message }) });
  const first = request.frames?.first ?? 0;
  const last = Math.min(request.frames?.last ?? jobs.length - 1, jobs.length - 1);
  if (first > last) throw new UsageError(`--frames ${first}-${last}: the animation has frames 0-${jobs.length - 1}`);
  const ffmpeg = await preflight(request, animation, outDir, baseDir);
  // Held until the video is written: a second render or a verify must not start while this one encodes. Taken
  // before the models load, so a second render is refused at once.
  const releaseFolder = await claimRenderFolder(folder, [animation.output.codec]);
  let sd: StableDiffusion | undefined;
  let controlnet: ControlNetRuntime | undefined;
  const preview = request.previewEvery
    ? new PreviewEncoder({ tools: ffmpeg, framesDir: folder.framesDir, fps: animation.fps, output: folder.previewFile, signal: request.signal })
    : undefined;
  try {
    sd = await StableDiffusion.load(resolveModelDir(animation.model, baseDir), { device: request.device, log: request.log });
    if (animation.controlnet.some((unit) => unit.enabled)) {
      controlnet = await ControlNetRuntime.open(animation.controlnet, {
        device: sd.device,
        modelDir: (name) => resolveModelDir(name, baseDir),
        baseDir,
        width: animation.width,
        height: animation.height,
        frames: animation.frames,
        seed,
        onWarning: (message) => emit({ type: 'warning', message }),
      });
    }
    const description = sd.describe();
    const settings = {
      generator: `deforum-ts ${packageVersion('deforum-ts')}`,
      source: request.source,
      animation,
      model: description,
      device: { requested: request.device, used: sd.device },
      versions: {
        node: process.version,
        'onnxruntime-node': packageVersion('onnxruntime-node'),
        sharp: packageVersion('sharp'),
        ffmpeg: ffmpeg.version,
      },
      output: { frames: path.join(folder.framesDir, framePattern), video: folder.videoFile(animation.output.codec) },
    };
    const result = await renderFrames({
      animation,
      jobs,
      source: request.source,
      baseDir,
      folder,
      sd,
      controlnet,
      saveDetectMaps: request.saveDetectMaps,
      first,
      last,
      force: request.force,
      verifyFrames: request.verifyFrames,
      settings,
      savePlan: request.savePlan,
      signal: request.signal,
      onEvent: request.onEvent,
      fs: request.fs ?? (process.env.DEFORUM_CRASH_AT ? crashInjectingFs(nodeFs, process.env.DEFORUM_CRASH_AT) : undefined),
      afterFrame: (frame) => {
        if (preview && (frame + 1) % request.previewEvery! === 0) {
          preview.request(frame + 1).then(
            () => emit({ type: 'preview', file: folder.previewFile }),
            (error: unknown) => request.signal?.aborted || emit({ type: 'warning', message: `preview: ${error instanceof Error ? error.message : String(error)}` }),
          );
        }
      },
    });
    await preview?.settled();
    const video = folder.videoFile(animation.output.codec);
    // Ctrl-C during the encode stops ffmpeg (its partial file removed); every frame is kept, so resume only re-encodes.
    await encodeVideo({
      tools: ffmpeg,
      framesDir: folder.framesDir,
      frameCount: result.lastFrame + 1,
      fps: animation.fps,
      format: animation.output.codec,
      crf: animation.output.crf,
      preset: animation.output.preset,
      audio: animation.output.audio === undefined ? undefined : path.resolve(baseDir, animation.output.audio),
      output: video,
      signal: request.signal,
      onProgress: (progress) => emit({ type: 'encode', file: video, frame: progress.frame, frames: progress.frameCount }),
    }).catch((error: unknown) => {
      throw request.signal?.aborted ? new RenderInterrupted(result.lastFrame) : error;
    });
    emit({ type: 'video', file: video });
    const frames = result.lastFrame + 1;
    emit({ type: 'done', frames, rendered: result.rendered, seconds: result.seconds, framesPerMinute: result.rendered / Math.max(result.seconds / 60, 1e-9), video });
    return { outDir, frames: jobs.length, lastFrame: result.lastFrame, rendered: result.rendered, seconds: result.seconds, video };
  } finally {
    // A preview ffmpeg stopped by Ctrl-C has removed its partial file before the process exits.
    await preview?.settled();
    await controlnet?.close();
    await sd?.release();
    await releaseFolder();
  }
}
