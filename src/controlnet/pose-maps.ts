/**
 * The pose maps of a render, from what each FrameJob names (`PoseRef`): keypoints are drawn as the OpenPose
 * preprocessor draws them (skeleton.ts); a pose image is read, checked against the sha256 the plan recorded, and fitted
 * with the unit's resize mode; a pose video is extracted once with ffmpeg into a temporary folder (removed by `close`).
 * The last map of each unit is kept, so a single image or a held last image is decoded once.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { PoseError } from '../errors.js';
import { decodeImage } from '../image-file.js';
import type { RawImage } from '../raw-image.js';
import { findFfmpeg, runFfmpeg } from '../video/ffmpeg.js';
import type { ResizeMode } from './modes.js';
import { imageFiles } from './pose-inputs.js';
import { fitImage } from './pose-fit.js';
import { drawPose } from './skeleton.js';
import type { PoseRef } from './unit-frame.js';

export interface PoseMapContext {
  /** The keyframe file's folder: the paths in pose refs are relative to it. */
  baseDir: string;
  width: number;
  height: number;
  /** At most this many frames of a pose video are extracted (the animation's frames). */
  frames: number;
}

export class PoseMaps {
  private readonly last = new Map<number, { key: string; map: RawImage }>();
  private readonly videos = new Map<string, Promise<string[]>>();
  private readonly tempDirs: string[] = [];

  constructor(private readonly context: PoseMapContext) {}

  /** Unit `unit`'s pose map for `ref` at render size, RGB. */
  async mapAt(unit: number, ref: PoseRef, resizeMode: ResizeMode): Promise<RawImage> {
    if ('keypoints' in ref) return drawPose(ref.keypoints);
    const key = 'video' in ref ? `${ref.sha256}#${ref.frame}` : ref.sha256;
    const cached = this.last.get(unit);
    if (cached?.key === key) return cached.map;
    const bytes = 'video' in ref ? await this.videoFrame(ref) : await this.imageBytes(ref);
    const map = await fitImage(await decodeImage(bytes).catch((error: unknown) => {
      throw new PoseError(`${'video' in ref ? ref.video : ref.image}: cannot read pose image: ${error instanceof Error ? error.message : String(error)}`);
    }), this.context.width, this.context.height, resizeMode);
    this.last.set(unit, { key, map });
    return map;
  }

  private async imageBytes(ref: { image: string; sha256: string }): Promise<Buffer> {
    const bytes = await readFile(path.resolve(this.context.baseDir, ref.image)).catch((error: unknown) => {
      throw new PoseError(`${ref.image}: cannot read pose image: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    });
    if (createHash('sha256').update(bytes).digest('hex') !== ref.sha256) {
      throw new PoseError(`${ref.image}: the pose image changed while rendering; render again to plan with the new image`);
    }
    return bytes;
  }

  private async videoFrame(ref: { video: string; sha256: string; frame: number }): Promise<Buffer> {
    let frames = this.videos.get(ref.sha256);
    if (!frames) this.videos.set(ref.sha256, (frames = this.extract(ref.video)));
    const file = (await frames)[ref.frame];
    if (file === undefined) throw new PoseError(`${ref.video}: ffmpeg extracted ${(await frames).length} frames, but the plan uses frame ${ref.frame}`);
    return readFile(file);
  }

  /** Every frame the render can use, as PNG files in a temporary folder, in order. */
  private async extract(video: string): Promise<string[]> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deforum-pose-'));
    this.tempDirs.push(dir);
    await runFfmpeg(await findFfmpeg(), {
      inputs: [{ url: path.resolve(this.context.baseDir, video) }],
      output: { url: path.join(dir, '%09d.png'), options: [['-frames:v', this.context.frames], ['-pix_fmt', 'rgb24']] },
    });
    return imageFiles(dir, video);
  }

  /** Removes the extracted video frames. */
  async close(): Promise<void> {
    this.videos.clear();
    this.last.clear();
    await Promise.all(this.tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
