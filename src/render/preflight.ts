import { promises as fsp } from 'node:fs';
import { RenderError, UsageError } from '../errors.js';
import { deforum } from '../invocation.js';
import type { Animation } from '../keyframes/schema.js';
import { checkFfmpeg } from '../video/encode.js';
import type { FfmpegTools } from '../video/ffmpeg.js';
import { checkInputFiles, formatInputFileProblem } from './input-files.js';

/** Everything that can be checked before the first frame: files, ffmpeg, a writable folder with room for the frames. */
export async function preflight(source: string, animation: Animation, outDir: string, baseDir: string): Promise<FfmpegTools> {
  const ffmpeg = await checkFfmpeg(animation.output.codec);
  if (animation.colorCoherence === 'image' && !animation.colorCoherenceImage) {
    throw new UsageError(`${source}: colorCoherence "image" needs colorCoherenceImage (a path to the colour sample)`);
  }
  const problems = await checkInputFiles(animation, baseDir, ffmpeg);
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more; run '${deforum()} validate ${source}' to see all)` : '';
    throw new UsageError(`${formatInputFileProblem(source, problems[0])}${more}`);
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
