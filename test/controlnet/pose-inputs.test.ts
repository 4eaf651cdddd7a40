import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadPoseInput } from '../../src/controlnet/pose-inputs.js';
import { PoseMaps } from '../../src/controlnet/pose-maps.js';
import type { PoseSourceSpec } from '../../src/controlnet/pose-spec.js';
import type { PoseRef } from '../../src/controlnet/unit-frame.js';
import { ControlNetUnitSchema } from '../../src/keyframes/controlnet-unit.js';
import { unitFrames } from '../../src/plan/controlnet-units.js';
import { drawPose } from '../../src/controlnet/skeleton.js';
import { KeyframeError, PoseError } from '../../src/errors.js';

const STAND = [[64, 20], [64, 36], [50, 37], [45, 56], [43, 74], [78, 37], [83, 56], [85, 74], [56, 74], [55, 96], [54, 118], [72, 74], [73, 96], [74, 118], [60, 17], [68, 17], [56, 19], [72, 19]];
const poseJson = (dx: number) => JSON.stringify({ people: [{ pose_keypoints_2d: STAND.flatMap(([x, y]) => [x + dx, y, 1]) }], canvas_width: 128, canvas_height: 128 });

function workspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pose-source-'));
  mkdirSync(path.join(dir, 'poses'));
  writeFileSync(path.join(dir, 'poses', 'a.json'), poseJson(0));
  writeFileSync(path.join(dir, 'poses', 'b.json'), poseJson(20));
  return dir;
}

/**
 * A unit's poses as a render gets them: its files read (`loadPoseInput`), each frame's pose planned (`unitFrames`),
 * and the maps drawn or loaded (`PoseMaps`).
 */
async function openPoses(spec: PoseSourceSpec, baseDir: string, warnings: string[] = [], frames = 10) {
  const unit = ControlNetUnitSchema.parse({ pose: spec });
  const input = await loadPoseInput(spec, { baseDir, frames, name: 'controlnet[0].pose' });
  const at = unitFrames(unit, input, 0, { width: 128, height: 128, frames, seed: 1, onWarning: (m) => warnings.push(m) });
  const maps = new PoseMaps({ baseDir, width: 128, height: 128, frames });
  return { refAt: (frame: number): PoseRef => at(frame).pose, imageAt: (frame: number) => maps.mapAt(0, at(frame).pose, unit.resizeMode), maps };
}

async function png(file: string, rgb: [number, number, number], width = 64, height = 64): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(file);
}

describe('pose keyframes: OpenPose JSON', () => {
  it('interpolates joints between keyframe files relative to the keyframe file', async () => {
    const dir = workspace();
    const source = await openPoses({ 0: 'poses/a.json', 'max_f-1': 'poses/b.json' }, dir);
    const mid = source.refAt(4);
    expect('keypoints' in mid && mid.keypoints.people[0][0]).toEqual({ x: 74, y: 20 });
    const last = source.refAt(9);
    expect('keypoints' in last && last.keypoints.people[0][0]).toEqual({ x: 84, y: 20 });
    const image = await source.imageAt(4);
    if (!('keypoints' in mid)) throw new Error('expected keypoints');
    expect(Buffer.from(image.data).equals(Buffer.from(drawPose(mid.keypoints).data))).toBe(true);
  });

  it('uses one JSON file for every frame', async () => {
    const source = await openPoses('poses/b.json', workspace());
    expect(source.refAt(7)).toEqual(source.refAt(0));
  });

  it('warns about keys outside the animation and ignores them', async () => {
    const warnings: string[] = [];
    await openPoses({ 0: 'poses/a.json', 30: 'poses/b.json' }, workspace(), warnings);
    expect(warnings).toEqual(["controlnet[0].pose: key '30' is frame 30, outside 0-9; ignored"]);
  });

  it('names a missing pose file', async () => {
    const dir = workspace();
    const error = await openPoses({ 0: 'poses/missing.json' }, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoseError);
    expect((error as PoseError).message).toMatch(/poses\/missing\.json: cannot read pose file: file not found$/);
  });

  it('names a bad frame key', async () => {
    const error = await openPoses({ soon: 'poses/a.json' }, workspace()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyframeError);
    expect((error as Error).message).toMatch(/^controlnet\[0\]\.pose\.soon: /);
  });
});

describe('pose images and video', () => {
  it('takes a folder in name order with numbers as numbers, and holds the last image with a warning', async () => {
    const dir = workspace();
    mkdirSync(path.join(dir, 'maps'));
    await png(path.join(dir, 'maps', 'pose2.png'), [0, 255, 0]);
    await png(path.join(dir, 'maps', 'pose10.png'), [0, 0, 255]);
    await png(path.join(dir, 'maps', 'pose1.png'), [255, 0, 0]);
    writeFileSync(path.join(dir, 'maps', 'notes.txt'), 'ignored');
    const warnings: string[] = [];
    const source = await openPoses({ images: 'maps' }, dir, warnings);
    const colour = async (frame: number) => Array.from((await source.imageAt(frame)).data.subarray(0, 3));
    expect(await colour(0)).toEqual([255, 0, 0]);
    expect(await colour(1)).toEqual([0, 255, 0]);
    expect(await colour(2)).toEqual([0, 0, 255]);
    expect(await colour(9)).toEqual([0, 0, 255]);
    expect((await source.imageAt(0)).width).toBe(128);
    expect(source.refAt(9)).toEqual(source.refAt(2));
    expect(source.refAt(2)).toEqual({ image: path.join('maps', 'pose10.png'), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(warnings[0]).toMatch(/3 pose images for 10 frames; the last one holds from frame 3$/);
  });

  it('treats transparent pixels of a pose image as black background', async () => {
    const dir = workspace();
    mkdirSync(path.join(dir, 'maps'));
    await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } }).png().toFile(path.join(dir, 'maps', 'a.png'));
    const source = await openPoses({ images: 'maps' }, dir, [], 1);
    expect((await source.imageAt(0)).data.every((v) => v === 0)).toBe(true);
  });

  it('uses one image for every frame, identified by its content', async () => {
    const dir = workspace();
    await png(path.join(dir, 'one.png'), [0, 0, 255]);
    const warnings: string[] = [];
    const source = await openPoses({ image: 'one.png' }, dir, warnings);
    expect(Array.from((await source.imageAt(9)).data.subarray(0, 3))).toEqual([0, 0, 255]);
    expect(source.refAt(9)).toEqual(source.refAt(0));
    expect(warnings).toEqual([]);
    await png(path.join(dir, 'one.png'), [0, 255, 0]);
    const edited = await openPoses({ image: 'one.png' }, dir);
    expect(edited.refAt(0)).not.toEqual(source.refAt(0));
    await expect(openPoses({ image: 'none.png' }, dir)).rejects.toThrow(/none\.png: cannot read pose image: file not found/);
  });

  it('refuses a pose image that changed after the plan was made', async () => {
    const dir = workspace();
    await png(path.join(dir, 'one.png'), [0, 0, 255]);
    const source = await openPoses({ image: 'one.png' }, dir);
    await png(path.join(dir, 'one.png'), [0, 255, 0]);
    await expect(source.imageAt(0)).rejects.toThrow(/one\.png: the pose image changed while rendering/);
  });

  it('rejects a missing or empty folder', async () => {
    const dir = workspace();
    await expect(openPoses({ images: 'nowhere' }, dir)).rejects.toThrow(/^controlnet\[0\]\.pose\.images: nowhere: folder not found$/);
    await expect(openPoses({ images: 'poses' }, dir)).rejects.toThrow(/poses: no pose images/);
  });

  it('extracts the frames of a video and removes them on close', async () => {
    const dir = workspace();
    mkdirSync(path.join(dir, 'maps'));
    for (const [i, rgb] of ([[255, 0, 0], [0, 255, 0], [0, 0, 255]] as const).entries()) await png(path.join(dir, 'maps', `${i}.png`), [...rgb]);
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-framerate', '10', '-i', path.join(dir, 'maps', '%d.png'), '-c:v', 'ffv1', path.join(dir, 'poses.mkv')]);
    expect(made.status).toBe(0);
    const warnings: string[] = [];
    const source = await openPoses({ video: 'poses.mkv' }, dir, warnings);
    const before = new Set(readdirSync(os.tmpdir()).filter((name) => name.startsWith('deforum-pose-')));
    expect(Array.from((await source.imageAt(1)).data.subarray(0, 3))).toEqual([0, 255, 0]);
    expect(source.refAt(5)).toEqual({ video: 'poses.mkv', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), frame: 2 });
    expect(warnings).toEqual(['controlnet[0].pose.video: poses.mkv: 3 pose images for 10 frames; the last one holds from frame 3']);
    const extracted = readdirSync(os.tmpdir()).filter((name) => name.startsWith('deforum-pose-') && !before.has(name));
    expect(extracted).toHaveLength(1);
    await source.maps.close();
    expect(existsSync(path.join(os.tmpdir(), extracted[0]))).toBe(false);
  });
});
