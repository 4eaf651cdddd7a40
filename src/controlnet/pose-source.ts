/**
 * The pose map of every frame of one ControlNet unit, from what the keyframe file names:
 * - pose keyframes (or one JSON file for all frames): each file fitted to the render size, joints interpolated
 *   between keys, drawn as the OpenPose preprocessor draws (skeleton.ts);
 * - a folder of pose images, sorted by name with numbers compared as numbers (`pose2.png` before `pose10.png`):
 *   image i is frame i;
 * - a video of pose images: extracted once with ffmpeg into a temporary folder (removed by `close`); video frame i
 *   is frame i;
 * - one pose image for every frame (Deforum's single-image ControlNet input, docs/deforum.md §e).
 * Images are fitted with the unit's resize mode. When a folder or video has fewer images than the animation has
 * frames, the last image holds for the remaining frames, with a warning (Deforum's one-image input likewise serves
 * every frame, docs/deforum.md §e); a render never stops half-way for a missing pose.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PoseError } from '../errors.js';
import { readImageFile } from '../image-file.js';
import { keyframesOfObject, resolveKeyframes, type ScheduleContext } from '../keyframes/schedule-keys.js';
import type { Interpolation } from '../numerics/interpolation.js';
import type { RawImage } from '../raw-image.js';
import { findFfmpeg, runFfmpeg } from '../video/ffmpeg.js';
import type { ResizeMode } from './modes.js';
import { loadOpenPoseJson } from './openpose-json.js';
import { fitImage, fitPose } from './pose-fit.js';
import { poseAt, type PoseKeyframe } from './pose-interpolate.js';
import type { Pose } from './pose.js';
import { drawPose } from './skeleton.js';
import type { PoseSourceSpec } from './unit-schema.js';

/** What identifies a frame's pose map (JSON-serialisable, for the FrameJob and its hash). */
export type PoseIdentity = { keypoints: Pose } | { image: string } | { video: string; frame: number };

export interface PoseSource {
  identityAt(frame: number): PoseIdentity;
  /** The pose map at render size, RGB. */
  imageAt(frame: number): Promise<RawImage>;
  /** Removes temporary files (extracted video frames). */
  close(): Promise<void>;
}

export interface PoseSourceContext extends ScheduleContext {
  /** The keyframe file's folder: pose paths are relative to it. */
  baseDir: string;
  width: number;
  height: number;
}

export interface PoseOptions {
  resizeMode: ResizeMode;
  /** Default interpolation between pose keyframes. */
  interpolation: Interpolation;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif']);

/** A path as the user recognises it: relative to the working directory when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

async function readImage(file: string): Promise<RawImage> {
  try {
    // transparent parts of a pose map are background: black, as readImageFile flattens
    return await readImageFile(file);
  } catch (error) {
    throw new PoseError(`${shown(file)}: cannot read pose image: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function keyframedSource(files: Record<string, string | { file: string; interpolation?: string }>, options: PoseOptions, context: PoseSourceContext): Promise<PoseSource> {
  const written = keyframesOfObject(files, context.name, (value) =>
    typeof value === 'string' ? { value } : { value: value.file, interpolation: value.interpolation },
  );
  const resolved = resolveKeyframes(written, context);
  const keys: PoseKeyframe[] = await Promise.all(
    resolved.map(async ({ frame, written: key }) => {
      const pose = await loadOpenPoseJson(shown(path.resolve(context.baseDir, key.value as string)));
      return { frame, pose: fitPose(pose, context.width, context.height, options.resizeMode), interpolation: key.interpolation };
    }),
  );
  const poseOf = (frame: number) => poseAt(keys, frame, options.interpolation);
  return {
    identityAt: (frame) => ({ keypoints: poseOf(frame) }),
    imageAt: async (frame) => drawPose(poseOf(frame)),
    close: async () => undefined,
  };
}

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
    .filter((name) => IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((name) => path.join(dir, name));
}

function imageSequenceSource(files: string[], identity: (index: number) => PoseIdentity, options: PoseOptions, context: PoseSourceContext, what: string, cleanup: () => Promise<void>): PoseSource {
  if (files.length < context.frames) {
    context.onWarning?.(`${what}: ${files.length} pose image${files.length === 1 ? '' : 's'} for ${context.frames} frames; the last one holds from frame ${files.length}`);
  }
  const indexOf = (frame: number) => Math.min(Math.max(0, Math.trunc(frame)), files.length - 1);
  return {
    identityAt: (frame) => identity(indexOf(frame)),
    imageAt: async (frame) => fitImage(await readImage(files[indexOf(frame)]), context.width, context.height, options.resizeMode),
    close: cleanup,
  };
}

async function videoSource(video: string, options: PoseOptions, context: PoseSourceContext): Promise<PoseSource> {
  const what = `${context.name}: ${shown(video)}`;
  const info = await stat(video).catch(() => undefined);
  if (!info?.isFile()) throw new PoseError(`${what}: video file not found`);
  const tools = await findFfmpeg();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deforum-pose-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await runFfmpeg(tools, {
      inputs: [{ url: video }],
      output: { url: path.join(dir, '%09d.png'), options: [['-frames:v', context.frames], ['-pix_fmt', 'rgb24']] },
    });
    const files = await imageFiles(dir, what);
    if (files.length === 0) throw new PoseError(`${what}: ffmpeg extracted no frames`);
    return imageSequenceSource(files, (frame) => ({ video: shown(video), frame }), options, context, what, cleanup);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Opens the pose source of one unit: reads and checks every pose file now, so a bad one fails before rendering. */
export async function openPoseSource(spec: PoseSourceSpec, options: PoseOptions, context: PoseSourceContext): Promise<PoseSource> {
  if (typeof spec === 'string') return keyframedSource({ 0: spec }, options, context);
  if ('images' in spec && typeof spec.images === 'string') {
    const dir = path.resolve(context.baseDir, spec.images);
    const what = `${context.name}.images: ${shown(dir)}`;
    const files = await imageFiles(dir, what);
    if (files.length === 0) throw new PoseError(`${what}: no pose images (${[...IMAGE_EXTENSIONS].join(', ')})`);
    return imageSequenceSource(files, (index) => ({ image: shown(files[index]) }), options, context, what, async () => undefined);
  }
  if ('video' in spec && typeof spec.video === 'string') return videoSource(path.resolve(context.baseDir, spec.video), options, context);
  if ('image' in spec && typeof spec.image === 'string') {
    const file = path.resolve(context.baseDir, spec.image);
    const fitted = await fitImage(await readImage(file), context.width, context.height, options.resizeMode);
    return { identityAt: () => ({ image: shown(file) }), imageAt: async () => fitted, close: async () => undefined };
  }
  return keyframedSource(spec as Record<string, string | { file: string; interpolation?: string }>, options, context);
}
