import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { RESIZE_MODES, type ResizeMode } from '../controlnet/modes.js';
import { loadOpenPoseJson } from '../controlnet/openpose-json.js';
import { fitPose } from '../controlnet/pose-fit.js';
import { poseAt } from '../controlnet/pose-interpolate.js';
import type { Pose } from '../controlnet/pose.js';
import { drawPose } from '../controlnet/skeleton.js';
import { UsageError } from '../errors.js';
import { writePngFile } from '../image-file.js';
import { interpolationNames } from '../numerics/interpolation.js';

const MAX_SIDE = 8192;
/** In-between skeletons are numbered from 0, four digits (ffmpeg -i dir/%04d.png). */
const FRAME_NAME = (frame: number) => `${String(frame).padStart(4, '0')}.png`;

interface SizeFlags {
  width?: string;
  height?: string;
  resizeMode: string;
}

function integerFlag(flag: string, value: string, min: number, max: number): number {
  const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= min && number <= max)) throw new UsageError(`${flag}: expected an integer from ${min} to ${max}, got "${value}"`);
  return number;
}

function resizeModeFlag(value: string): ResizeMode {
  if ((RESIZE_MODES as readonly string[]).includes(value)) return value as ResizeMode;
  throw new UsageError(`--resize-mode: expected one of ${RESIZE_MODES.join(', ')}, got "${value}"`);
}

/** The output size (default: the pose's canvas) and the pose fitted to it. */
function fitted(pose: Pose, flags: SizeFlags): Pose {
  const width = flags.width === undefined ? pose.width : integerFlag('--width', flags.width, 1, MAX_SIDE);
  const height = flags.height === undefined ? pose.height : integerFlag('--height', flags.height, 1, MAX_SIDE);
  return fitPose(pose, width, height, resizeModeFlag(flags.resizeMode));
}

const people = (pose: Pose) => `${pose.people.length} ${pose.people.length === 1 ? 'person' : 'people'}`;

async function render(file: string, flags: SizeFlags & { output: string }): Promise<void> {
  const output = path.resolve(flags.output);
  if (!existsSync(path.dirname(output))) throw new UsageError(`-o: folder ${path.dirname(flags.output)} does not exist`);
  const pose = fitted(await loadOpenPoseJson(file), flags);
  await writePngFile(drawPose(pose), output);
  process.stdout.write(`${flags.output}: ${pose.width}×${pose.height}, ${people(pose)}\n`);
}

async function interpolate(first: string, second: string, flags: SizeFlags & { output: string; frames: string; interpolation: string }): Promise<void> {
  const frames = integerFlag('--frames', flags.frames, 2, 100_000);
  if (!interpolationNames.includes(flags.interpolation)) {
    throw new UsageError(`--interpolation: expected one of ${interpolationNames.join(', ')}, got "${flags.interpolation}"`);
  }
  const a = fitted(await loadOpenPoseJson(first), flags);
  const b = fitPose(await loadOpenPoseJson(second), a.width, a.height, resizeModeFlag(flags.resizeMode));
  const keys = [{ frame: 0, pose: a }, { frame: frames - 1, pose: b }];
  await mkdir(flags.output, { recursive: true });
  for (let frame = 0; frame < frames; frame++) {
    await writePngFile(drawPose(poseAt(keys, frame, flags.interpolation)), path.join(flags.output, FRAME_NAME(frame)));
  }
  process.stdout.write(`${flags.output}: ${frames} skeletons ${FRAME_NAME(0)} … ${FRAME_NAME(frames - 1)}, ${a.width}×${a.height}\n`);
}

export function register(program: Command): void {
  const pose = program.command('pose').description('draw OpenPose skeletons as the ControlNet OpenPose preprocessor does');
  const sizeOptions = (command: Command) =>
    command
      .option('--width <w>', 'image width in pixels (default: the pose\'s canvas width)')
      .option('--height <h>', 'image height in pixels (default: the pose\'s canvas height)')
      .option('--resize-mode <mode>', `how a canvas of another size fits: ${RESIZE_MODES.join(', ')}`, 'inner-fit');
  sizeOptions(
    pose
      .command('render')
      .description('draw one OpenPose JSON file (ControlNet/openpose-editor format) to a PNG')
      .argument('<pose.json>', 'OpenPose JSON file')
      .requiredOption('-o, --output <file.png>', 'output PNG'),
  ).action(render);
  sizeOptions(
    pose
      .command('interpolate')
      .description('write the skeletons from one pose to another as numbered PNGs 0000.png … (first = a, last = b)')
      .argument('<a.json>', 'first pose')
      .argument('<b.json>', 'last pose')
      .requiredOption('--frames <n>', 'number of images, both poses included (at least 2)')
      .requiredOption('-o, --output <dir>', 'output folder (created if missing)')
      .option('--interpolation <name>', 'how joints move: linear, step, cubic or an easing such as easeInOutSine', 'linear'),
  ).action(interpolate);
}
