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

/** Adds the check of the file a field names, given the file as written and a check of the resolved path. */
type AddFile = (field: Segment[], file: string, check: (resolved: string) => Check, downloaded?: boolean) => void;

/**
 * A path this machine cannot open — a URL the render does not download, a Windows path, an absolute path whose folder is not
 * here (from the machine the file was made on) — is its one problem, with the fix; any other path gets `check` of the
 * resolved file.
 */
function reachable(field: Segment[], file: string, baseDir: string, check: (resolved: string) => Check, downloaded = false): Check {
  const kind = pathKind(file);
  const resolved = path.resolve(baseDir, file);
  return async () => {
    // The render downloads an http(s) URL in the fields that take one (remote-inputs.ts) and checks what it gets.
    if (downloaded && kind === 'url' && isRemote(file)) return [];
    const here = kind === 'relative' || (kind === 'absolute' && (await stat(path.dirname(resolved)).then(() => true, () => false)));
    return here ? check(resolved)() : [unreachablePath(file, kind, { field: formatPath(field), relativeTo: 'the keyframe file' })!];
  };
}

/** The checks of one enabled ControlNet unit's pose source, by the field that names each file. */
function poseChecks(spec: PoseSourceSpec, at: Segment[], context: { frames: number; media: (file: string, kind: MediaKind) => Check }, addFile: AddFile): void {
  if (typeof spec === 'string') return addFile(at, spec, poseJsonCheck);
  if ('images' in spec && typeof spec.images === 'string') return addFile([...at, 'images'], spec.images, (dir) => poseFolderCheck(dir, context.frames));
  if ('video' in spec && typeof spec.video === 'string') return addFile([...at, 'video'], spec.video, (file) => context.media(file, 'video'));
  if ('image' in spec && typeof spec.image === 'string') return addFile([...at, 'image'], spec.image, imageCheck);
  for (const [key, value] of Object.entries(spec as Record<string, string | { file: string }>)) {
    if (typeof value === 'string') addFile([...at, key], value, poseJsonCheck);
    else addFile([...at, key, 'file'], value.file, poseJsonCheck);
  }
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
  const checks: Array<{ field: Segment[]; check: Check }> = [];
  const add = (field: Segment[], check: Check) => checks.push({ field, check });
  const addFile: AddFile = (field, file, check, downloaded) => add(field, reachable(field, file, baseDir, check, downloaded));
  if (animation.initImage !== undefined) addFile(['initImage'], animation.initImage, imageCheck, true);
  if (animation.colorCoherence === 'image' && animation.colorCoherenceImage !== undefined) addFile(['colorCoherenceImage'], animation.colorCoherenceImage, imageCheck, true);
  if (animation.output.audio !== undefined) addFile(['output', 'audio'], animation.output.audio, (file) => media(file, 'audio'), true);
  if (animation.parseq !== undefined) addFile(['parseq'], animation.parseq.manifest, () => parseqCheck(animation, baseDir));
  add(['model'], folderCheck(() => readModelFolder(resolveModelDir(animation.model, baseDir))));
  for (const [index, unit] of animation.controlnet.entries()) {
    if (!unit.enabled) continue;
    poseChecks(unit.pose, ['controlnet', index, 'pose'], { frames: animation.frames, media }, addFile);
    add(['controlnet', index, 'model'], folderCheck(() => controlNetModelFile(resolveModelDir(unit.model, baseDir))));
  }
  const problems: InputFileProblem[] = [];
  for (const { field, check } of checks) {
    for (const message of await check()) problems.push({ path: formatPath(field), message });
  }
  return problems;
}
