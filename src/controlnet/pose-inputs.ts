/**
 * The files a ControlNet unit's pose source names, read once before the plan is made, so the plan (pure) can pick
 * each frame's pose and a bad file fails before the first frame:
 * - pose keyframes (or one JSON file for all frames): each OpenPose JSON file parsed as a `Pose`;
 * - a folder of pose images, sorted by name with numbers compared as numbers (`pose2.png` before `pose10.png`);
 * - a video of pose images, with its number of frames (decoded by ffprobe, as the renderer extracts them);
 * - one pose image for every frame (Deforum's single-image ControlNet input, docs/deforum.md §e).
 * Images and videos are identified by the sha256 of their bytes, and named relative to the keyframe file.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PoseError } from '../errors.js';
import { InputFileError, sha256OfFile } from '../input-file.js';
import { findFfmpeg } from '../video/ffmpeg.js';
import { probeVideo } from '../video/probe.js';
import { loadOpenPoseJson } from './openpose-json.js';
import type { Pose } from './pose.js';
import type { PoseKeyframeSpec, PoseSourceSpec } from './pose-spec.js';

/** A pose image or video: its path relative to the keyframe file, and the sha256 of its bytes. */
export interface PoseFile {
  file: string;
  sha256: string;
}

export type PoseInput =
  /** Pose keyframes: the spec's keys (resolved by the plan) and each named JSON file's pose, by the name as written. */
  | { kind: 'keyframes'; keys: Record<string, PoseKeyframeSpec>; poses: ReadonlyMap<string, Pose> }
  | { kind: 'images'; folder: string; images: PoseFile[] }
  /** `frames`: the video's frames the render can use (at most the animation's). */
  | { kind: 'video'; video: PoseFile; frames: number }
  | { kind: 'image'; image: PoseFile };

export interface PoseInputContext {
  /** The keyframe file's folder: pose paths are relative to it. */
  baseDir: string;
  frames: number;
  /** The field, for messages: `controlnet[0].pose`. */
  name: string;
}

export const POSE_IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif'];

/** Image files of a folder in frame order (possibly none); a `PoseError` naming `what` if it is not a folder. */
export async function imageFiles(dir: string, what: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PoseError(`${what}: ${code === 'ENOENT' ? 'folder not found' : code === 'ENOTDIR' ? 'not a folder' : (error as Error).message}`);
  }
  return names
    .filter((name) => POSE_IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((name) => path.join(dir, name));
}

async function poseFile(file: string, context: PoseInputContext, what: string): Promise<PoseFile> {
  try {
    return { file, sha256: await sha256OfFile(path.resolve(context.baseDir, file)) };
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    throw new PoseError(`${what}: ${file}: cannot read ${what.endsWith('video') ? 'pose video' : 'pose image'}: ${error.kind === 'missing' ? 'file not found' : `it ${error.reason}`}`);
  }
}

async function keyframeInput(keys: Record<string, PoseKeyframeSpec>, context: PoseInputContext): Promise<PoseInput> {
  const poses = new Map<string, Pose>();
  for (const key of Object.values(keys)) {
    const file = typeof key === 'string' ? key : key.file;
    if (!poses.has(file)) poses.set(file, await loadOpenPoseJson(path.resolve(context.baseDir, file)));
  }
  return { kind: 'keyframes', keys, poses };
}

async function videoInput(video: string, context: PoseInputContext): Promise<PoseInput> {
  const what = `${context.name}.video`;
  const identified = await poseFile(video, context, what);
  const info = await probeVideo(path.resolve(context.baseDir, video), await findFfmpeg()).catch((error: unknown) => {
    throw new PoseError(`${what}: ${video}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (info.frames === 0) throw new PoseError(`${what}: ${video}: the video has no frames`);
  return { kind: 'video', video: identified, frames: Math.min(info.frames, context.frames) };
}

/** Reads and identifies every file of one unit's pose source (the first `frames` images of a folder). */
export async function loadPoseInput(spec: PoseSourceSpec, context: PoseInputContext): Promise<PoseInput> {
  if (typeof spec === 'string') return keyframeInput({ 0: spec }, context);
  if ('images' in spec && typeof spec.images === 'string') {
    const what = `${context.name}.images: ${spec.images}`;
    const files = await imageFiles(path.resolve(context.baseDir, spec.images), what);
    if (files.length === 0) throw new PoseError(`${what}: no pose images (${POSE_IMAGE_EXTENSIONS.join(', ')})`);
    const images: PoseFile[] = [];
    for (const file of files.slice(0, context.frames)) images.push(await poseFile(path.relative(context.baseDir, file), context, `${context.name}.images`));
    return { kind: 'images', folder: spec.images, images };
  }
  if ('video' in spec && typeof spec.video === 'string') return videoInput(spec.video, context);
  if ('image' in spec && typeof spec.image === 'string') return { kind: 'image', image: await poseFile(spec.image, context, `${context.name}.image`) };
  return keyframeInput(spec as Record<string, PoseKeyframeSpec>, context);
}

/** The pose inputs of a file's ControlNet units, by unit index; undefined for a disabled unit. */
export async function loadUnitPoseInputs(
  units: ReadonlyArray<{ enabled: boolean; pose: PoseSourceSpec }>,
  context: Omit<PoseInputContext, 'name'>,
): Promise<Array<PoseInput | undefined>> {
  const inputs: Array<PoseInput | undefined> = [];
  for (const [index, unit] of units.entries()) inputs.push(unit.enabled ? await loadPoseInput(unit.pose, { ...context, name: `controlnet[${index}].pose` }) : undefined);
  return inputs;
}
