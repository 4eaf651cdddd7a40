/**
 * The files a keyframe file names, checked before the first frame (render's preflight) and by `deforum validate`, so
 * a bad one fails in seconds with exit 2 instead of late, or after every frame is rendered: each must be a regular
 * file (a folder where a folder is named) that opens as what its field needs — an image, audio, a video, OpenPose
 * JSON, a model folder. Every problem is listed, one line each, naming the field and the file. Nothing here loads a
 * model: folders are checked from their files, as `readModelFolder` does.
 */
import path from 'node:path';
import { controlNetModelFile } from '../controlnet/controlnet-folder.js';
import { loadOpenPoseJson } from '../controlnet/openpose-json.js';
import { imageFiles } from '../controlnet/pose-inputs.js';
import type { PoseSourceSpec } from '../controlnet/pose-spec.js';
import { DeforumError } from '../errors.js';
import { imageFileProblem, MAX_IMAGE_PIXELS } from '../image-file.js';
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
export type InputFileKind = 'image' | 'audio' | 'video' | 'pose-json' | 'pose-images' | 'model' | 'controlnet-model';

/** One file (or folder) a keyframe file names: the field that names it and the path, resolved against the file's folder. */
export interface ReferencedInput {
  field: Segment[];
  file: string;
  kind: InputFileKind;
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
 * Every file and folder `animation` names that a render reads, resolved against `baseDir` (the keyframe file's folder;
 * a bundled model name becomes its folder), in the order they are checked.
 */
export function referencedInputs(animation: Animation, baseDir: string): ReferencedInput[] {
  const inputs: ReferencedInput[] = [];
  const add = (field: Segment[], file: string, kind: InputFileKind) => inputs.push({ field, file: kind === 'model' || kind === 'controlnet-model' ? resolveModelDir(file, baseDir) : path.resolve(baseDir, file), kind });
  if (animation.initImage !== undefined) add(['initImage'], animation.initImage, 'image');
  if (animation.colorCoherence === 'image' && animation.colorCoherenceImage !== undefined) add(['colorCoherenceImage'], animation.colorCoherenceImage, 'image');
  if (animation.output.audio !== undefined) add(['output', 'audio'], animation.output.audio, 'audio');
  add(['model'], animation.model, 'model');
  for (const [index, unit] of animation.controlnet.entries()) {
    if (!unit.enabled) continue;
    poseInputs(unit.pose, ['controlnet', index, 'pose'], add);
    add(['controlnet', index, 'model'], unit.model, 'controlnet-model');
  }
  return inputs;
}

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
  };
  const problems: InputFileProblem[] = [];
  for (const { field, file, kind } of referencedInputs(animation, baseDir)) {
    for (const message of await checks[kind](file)()) problems.push({ path: formatPath(field), message });
  }
  return problems;
}
