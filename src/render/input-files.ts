/**
 * The files a keyframe file names, checked before the first frame (render's preflight) and by `deforum validate`, so
 * a bad one fails in seconds with exit 2 instead of late, or after every frame is rendered: each must be a regular
 * file (a folder where a folder is named) that opens as what its field needs — an image, audio, a video, OpenPose
 * JSON, a model folder. Every problem is listed, one line each, naming the field and the file. Nothing here loads a
 * model: folders are checked from their files, as `readModelFolder` does.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { controlNetModelFile } from '../controlnet/controlnet-folder.js';
import { locateDepthModel } from '../depth/model-files.js';
import { loadOpenPoseJson } from '../controlnet/openpose-json.js';
import { imageFiles } from '../controlnet/pose-inputs.js';
import type { PoseSourceSpec } from '../controlnet/pose-spec.js';
import { DeforumError } from '../errors.js';
import { pathKind, unreachablePath } from '../foreign-paths.js';
import { isRemote } from '../remote-file.js';
import { imageFileProblem, MAX_IMAGE_PIXELS } from '../image-file.js';
import { loadParseqManifest } from '../keyframes/load.js';
import { parseqSeries } from '../keyframes/parseq.js';
import { formatPath } from '../keyframes/validate.js';
import type { Animation } from '../keyframes/schema.js';
import { resolveModelDir } from '../models/bundled.js';
import { readModelFolder } from '../sampler/model-folder.js';
import { findFfmpeg, type FfmpegTools } from '../video/ffmpeg.js';
import { mediaFileProblem, type MediaKind } from '../video/probe.js';

/** One unusable file: the JSON path of the field that names it, and what is wrong, naming the file. */
export interface InputFileProblem {
  path: string;
  message: string;
}

export const formatInputFileProblem = (source: string, problem: InputFileProblem): string => `${source}: ${problem.path}: ${problem.message}`;

type Segment = string | number;
/** A file check: the problems found, each one line naming the file. */
type Check = () => Promise<string[]>;

const named = (file: string, problem: string | undefined): string[] => (problem ? [`${file} ${problem}`] : []);

/** `DeforumError`s are the problems a check reports; anything else is a bug and propagates. */
async function reported(check: () => Promise<string[]>): Promise<string[]> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof DeforumError) return [error.message];
    throw error;
  }
}

const imageCheck = (file: string): Check => async () => named(file, await imageFileProblem(file));

const poseJsonCheck = (file: string): Check => () =>
  reported(async () => {
    await loadOpenPoseJson(file);
    return [];
  });

/** The images a render uses (the first `frames`; later ones are never read) must all decode. */
function poseFolderCheck(dir: string, frames: number): Check {
  return () =>
    reported(async () => {
      const files = await imageFiles(dir, dir);
      if (files.length === 0) return [`${dir} has no pose images (.png, .jpg, .webp, …)`];
      const problems: string[] = [];
      for (const file of files.slice(0, frames)) problems.push(...named(file, await imageFileProblem(file)));
      return problems;
    });
}

/** What a referenced file must be: the check it gets here, and whether the render farm copies it with a job. */
export type InputFileKind = 'image' | 'audio' | 'video' | 'pose-json' | 'pose-images' | 'model' | 'controlnet-model' | 'depth-model' | 'parseq-manifest';

/** One file (or folder) a keyframe file names: the field that names it, the path as written and resolved. */
export interface ReferencedInput {
  field: Segment[];
  /** As the keyframe file writes it (a URL, a path relative to the file, a bundled model's name). */
  written: string;
  /** Resolved against the file's folder; a bundled model name becomes its folder. */
  file: string;
  kind: InputFileKind;
  /** The render downloads an http(s) URL here (remote-inputs.ts): the init image, the colour sample, the soundtrack. */
  downloadable?: boolean;
}

/** The inputs of one enabled ControlNet unit's pose source, by the field that names each file. */
function poseInputs(spec: PoseSourceSpec, at: Segment[], add: (field: Segment[], file: string, kind: InputFileKind) => void): void {
  if (typeof spec === 'string') return add(at, spec, 'pose-json');
  if ('images' in spec && typeof spec.images === 'string') return add([...at, 'images'], spec.images, 'pose-images');
  if ('video' in spec && typeof spec.video === 'string') return add([...at, 'video'], spec.video, 'video');
  if ('image' in spec && typeof spec.image === 'string') return add([...at, 'image'], spec.image, 'image');
  for (const [key, value] of Object.entries(spec as Record<string, string | { file: string }>)) {
    if (typeof value === 'string') add([...at, key], value, 'pose-json');
    else add([...at, key, 'file'], value.file, 'pose-json');
  }
}

/**
 * Every file and folder `animation` names that a render reads, resolved against `baseDir` (the keyframe file's folder),
 * in the order they are checked: what `validate` and the render's preflight check, and what the render farm copies.
 */
export function referencedInputs(animation: Animation, baseDir: string): ReferencedInput[] {
  const inputs: ReferencedInput[] = [];
  const add = (field: Segment[], written: string, kind: InputFileKind, downloadable = false) =>
    inputs.push({ field, written, file: kind === 'model' || kind === 'controlnet-model' || kind === 'depth-model' ? resolveModelDir(written, baseDir) : path.resolve(baseDir, written), kind, ...(downloadable ? { downloadable } : {}) });
  if (animation.initImage !== undefined) add(['initImage'], animation.initImage, 'image', true);
  if (animation.colorCoherence === 'image' && animation.colorCoherenceImage !== undefined) add(['colorCoherenceImage'], animation.colorCoherenceImage, 'image', true);
  if (animation.output.audio !== undefined) add(['output', 'audio'], animation.output.audio, 'audio', true);
  if (animation.parseq !== undefined) add(['parseq', 'manifest'], animation.parseq.manifest, 'parseq-manifest');
  add(['model'], animation.model, 'model');
  // the depth model a render opens (render.py's `predict_depths`: 3D with depth warping, or saved depth maps)
  if ((animation.animationMode === '3D' && animation.depth.warping) || animation.saveDepthMaps) add(['depth', 'model'], animation.depth.model, 'depth-model');
  for (const [index, unit] of animation.controlnet.entries()) {
    if (!unit.enabled) continue;
    poseInputs(unit.pose, ['controlnet', index, 'pose'], add);
    add(['controlnet', index, 'model'], unit.model, 'controlnet-model');
  }
  return inputs;
}

/**
 * A path this machine cannot open — a URL the render does not download, a Windows path, an absolute path whose folder is not
 * here (from the machine the file was made on) — is its one problem, with the fix; any other path gets `check` of the
 * resolved file. Model names are not paths: they are checked as the folders they name.
 */
function reachable(input: ReferencedInput, check: (resolved: string) => Check): Check {
  if (input.kind === 'model' || input.kind === 'controlnet-model' || input.kind === 'depth-model') return check(input.file);
  const kind = pathKind(input.written);
  return async () => {
    // The render downloads an http(s) URL in the fields that take one (remote-inputs.ts) and checks what it gets.
    if (input.downloadable && kind === 'url' && isRemote(input.written)) return [];
    const here = kind === 'relative' || (kind === 'absolute' && (await stat(path.dirname(input.file)).then(() => true, () => false)));
    return here ? check(input.file)() : [unreachablePath(input.written, kind, { field: formatPath(input.field), relativeTo: 'the keyframe file' })!];
  };
}

/** A Parseq manifest: read, and its series built for the animation it overrides (a gap or a bad value named). */
const parseqCheck = (animation: Animation, baseDir: string): Check => () =>
  reported(async () => {
    const loaded = await loadParseqManifest(animation, baseDir);
    parseqSeries(loaded.parseq!, loaded.animation);
    return [];
  });


/** A model folder, checked from its files alone (no ONNX session is opened). */
const folderCheck = (check: () => unknown): Check => () =>
  reported(async () => {
    check();
    return [];
  });

/**
 * Every problem with the files `animation` names, relative to `baseDir` (the keyframe file's folder); empty when a
 * render can read them all. Audio and videos are checked with `ffmpeg`, found when needed and not given.
 */
export async function checkInputFiles(animation: Animation, baseDir: string, ffmpeg?: FfmpegTools): Promise<InputFileProblem[]> {
  let tools: Promise<FfmpegTools> | undefined;
  const media = (file: string, kind: MediaKind): Check => () =>
    reported(async () => named(file, await mediaFileProblem(file, kind, ffmpeg ?? (await (tools ??= findFfmpeg())), kind === 'video' ? MAX_IMAGE_PIXELS : undefined)));
  const checks: Record<InputFileKind, (file: string) => Check> = {
    image: imageCheck,
    audio: (file) => media(file, 'audio'),
    video: (file) => media(file, 'video'),
    'pose-json': poseJsonCheck,
    'pose-images': (dir) => poseFolderCheck(dir, animation.frames),
    model: (dir) => folderCheck(() => readModelFolder(dir)),
    'controlnet-model': (dir) => folderCheck(() => controlNetModelFile(dir)),
    'depth-model': () => folderCheck(() => locateDepthModel(animation.depth.model, baseDir)),
    'parseq-manifest': () => parseqCheck(animation, baseDir),
  };
  const problems: InputFileProblem[] = [];
  for (const input of referencedInputs(animation, baseDir)) {
    for (const message of await reachable(input, checks[input.kind])()) problems.push({ path: formatPath(input.field), message });
  }
  return problems;
}
