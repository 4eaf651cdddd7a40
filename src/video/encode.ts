import { randomBytes } from 'node:crypto';
import { constants, rmSync } from 'node:fs';
import { access, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { VideoError } from '../errors.js';
import { findFfmpeg, requireEncoder, runFfmpeg, type FfmpegOption, type FfmpegProgress, type FfmpegTools } from './ffmpeg.js';
import { videoDefaults, type VideoFormat, type X264Preset } from './formats.js';
import { mediaFileProblem } from './probe.js';

export type { VideoFormat, X264Preset } from './formats.js';

/** Frame files as the render loop writes them: 9-digit zero-padded like Deforum's `{frame:09}` (docs/deforum.md §g). */
export const framePattern = '%09d.png';


export interface EncodeOptions {
  framesDir: string;
  /** printf-style frame file name inside framesDir; default `%09d.png`. */
  pattern?: string;
  /** Frames 0 … frameCount−1 are encoded. */
  frameCount: number;
  fps?: number;
  format: VideoFormat;
  crf?: number;
  /** x264 preset (mp4 only). */
  preset?: X264Preset;
  /** An audio file muxed in and trimmed to the video's length (mp4, webm). */
  audio?: string;
  output: string;
  onProgress?: (progress: FfmpegProgress & { frameCount: number }) => void;
  signal?: AbortSignal;
  /** Found ffmpeg; found (and checked) here when left out. */
  tools?: FfmpegTools;
}

/** The file of frame `index` for a printf-style pattern such as `%09d.png`. */
export function frameFile(framesDir: string, pattern: string, index: number): string {
  return path.join(framesDir, pattern.replace(/%(0?)(\d*)d/, (_, zero: string, width: string) => String(index).padStart(Number(width || 0), zero ? '0' : ' ')));
}

/**
 * ffmpeg's image2 input stops at the first missing file and still exits 0, so a gap would make a short video without
 * a word: check every frame is there first (a `VideoError`, exit 2, naming the first missing one).
 */
async function requireFrames(framesDir: string, pattern: string, frameCount: number): Promise<void> {
  for (let i = 0; i < frameCount; i++) {
    const file = frameFile(framesDir, pattern, i);
    await access(file).catch(() => {
      throw new VideoError(`frame ${i} is missing: ${file} does not exist (expected frames 0 … ${frameCount - 1})`);
    });
  }
}

/** What is at `file`, without throwing: its stats, or the errno code (ENOENT, ENOTDIR, EACCES, …). */
async function statOf(file: string): Promise<Awaited<ReturnType<typeof stat>> | string> {
  return stat(file).catch((error: NodeJS.ErrnoException) => error.code ?? error.message);
}

/**
 * Only a regular file that decodes as audio is given to ffmpeg: a folder, FIFO or device would fail late or block,
 * and random bytes would fail after the frames were encoded, with a message naming no file.
 */
async function requireAudioFile(audio: string, tools: Pick<FfmpegTools, 'ffmpeg' | 'ffprobe'>): Promise<void> {
  const found = await statOf(audio);
  const hint = 'give the path of a sound file ffmpeg can read (wav, mp3, m4a, …)';
  if (found === 'ENOENT') throw new VideoError(`audio file ${audio} does not exist: ${hint}`);
  if (typeof found === 'string') throw new VideoError(`audio file ${audio} cannot be read (${found}): ${hint}`);
  if (!found.isFile()) throw new VideoError(`audio file ${audio} is ${found.isDirectory() ? 'a folder' : 'not a regular file'}: ${hint}`);
  const problem = await mediaFileProblem(audio, 'audio', tools);
  if (problem) throw new VideoError(`audio file ${audio} ${problem}: ${hint}`);
}

/**
 * The video is written next to `output` and renamed over it, so its folder must exist and be writable and `output`
 * must not be a folder or a device: checked before ffmpeg runs, so nothing is left behind. A missing folder is not
 * created: a mistyped path is refused rather than silently made (as cp and ffmpeg do).
 */
async function requireOutputPath(output: string, format: VideoFormat): Promise<void> {
  const dir = path.dirname(output);
  const folder = await statOf(dir);
  if (folder === 'ENOENT') throw new VideoError(`cannot write the video ${output}: the folder ${dir} does not exist (create it first)`);
  if (folder === 'ENOTDIR' || (typeof folder !== 'string' && !folder.isDirectory())) throw new VideoError(`cannot write the video ${output}: ${dir} is not a folder`);
  if (typeof folder === 'string') throw new VideoError(`cannot write the video ${output}: ${dir} cannot be read (${folder})`);
  await access(dir, constants.W_OK).catch(() => {
    throw new VideoError(`cannot write the video ${output}: no permission to write in ${dir}`);
  });
  const existing = await statOf(output);
  if (typeof existing !== 'string' && existing.isDirectory()) throw new VideoError(`the video ${output} would replace a folder: name a file, e.g. ${path.join(output, `video.${format}`)}`);
  if (typeof existing !== 'string' && !existing.isFile()) throw new VideoError(`the video ${output} would replace something that is not a regular file: name a file`);
}

/** The encoder each format needs, checked before any frame is rendered. */
const encoderFor: Record<VideoFormat, string> = { mp4: 'libx264', webm: 'libvpx-vp9', gif: 'gif' };

/**
 * Finds ffmpeg and checks it can write `format`: a `VideoError` (exit 2) that says how to install it otherwise. The
 * render command calls this before the first frame.
 */
export async function checkFfmpeg(format: VideoFormat, env: NodeJS.ProcessEnv = process.env): Promise<FfmpegTools> {
  const tools = await findFfmpeg(env);
  requireEncoder(tools, encoderFor[format], format);
  return tools;
}

/**
 * Output options per format. Frames past frameCount are dropped by the `trim` filter, not by `-frames:v`: that output
 * limit ends the whole output when the video reaches it, cutting the audio to what the encoder's lookahead had read
 * (0.05 s of a 4 s video with x264's `slow`). `fps` resamples as Deforum's `-vf fps=…` does.
 */
function outputOptions(format: VideoFormat, fps: number, crf: number, preset: X264Preset, frameCount: number, audio: boolean): FfmpegOption[] {
  const frames = `trim=end_frame=${frameCount},fps=${fps}`;
  const video: FfmpegOption[] = [['-map', '0:v']];
  const sound: FfmpegOption[] = audio ? [['-map', '1:a']] : [];
  switch (format) {
    case 'mp4': // docs/deforum.md §g
      return [...video, ...sound, ['-c:v', 'libx264'], ['-vf', frames], ['-pix_fmt', 'yuv420p'], ['-crf', crf], ['-preset', preset], ...(audio ? [['-c:a', 'aac'] as const] : []), ['-f', 'mp4']];
    case 'webm': // VP9 in constant-quality mode needs -b:v 0
      return [...video, ...sound, ['-c:v', 'libvpx-vp9'], ['-vf', frames], ['-pix_fmt', 'yuv420p'], ['-b:v', 0], ['-crf', crf], ['-row-mt', 1], ...(audio ? [['-c:a', 'libopus'] as const] : []), ['-f', 'webm']];
    case 'gif': // one pass: a palette from the frames, then dithered onto it
      return [...video, ['-vf', `${frames},split[frames][copy];[copy]palettegen[palette];[frames][palette]paletteuse`], ['-loop', 0], ['-f', 'gif']];
  }
}

/**
 * Encodes frames 0 … frameCount−1 of `framesDir` into `output` with Deforum's arguments (docs/deforum.md §g), written to a
 * temporary file in the output's folder and renamed over `output` when complete, so `output` is never partial.
 */
export async function encodeVideo(options: EncodeOptions): Promise<{ output: string }> {
  const { framesDir, frameCount, format, output } = options;
  const fps = options.fps ?? videoDefaults.fps;
  const crf = options.crf ?? videoDefaults.crf;
  const preset = options.preset ?? videoDefaults.preset;
  if (!Number.isInteger(frameCount) || frameCount < 1) throw new VideoError(`nothing to encode: ${frameCount} frames in ${framesDir}`);
  if (options.audio && format === 'gif') throw new VideoError(`a GIF has no audio track: leave out the audio (${options.audio}) or encode mp4 or webm`);
  await requireOutputPath(output, format);
  const pattern = options.pattern ?? framePattern;
  await requireFrames(framesDir, pattern, frameCount);
  const tools = options.tools ?? (await checkFfmpeg(format));
  if (options.audio) await requireAudioFile(options.audio, tools);
  requireEncoder(tools, encoderFor[format], format);
  const temp = path.join(path.dirname(output), `.${path.basename(output)}.${randomBytes(4).toString('hex')}.partial`);
  // A process that exits meanwhile (a second Ctrl-C quits at once) leaves no partial file; only sync work runs on exit.
  const removeTemp = () => rmSync(temp, { force: true });
  process.once('exit', removeTemp);
  try {
    await runFfmpeg(
      tools,
      {
        inputs: [
          { url: path.join(framesDir, pattern), options: [['-r', fps], ['-start_number', 0], ['-f', 'image2']] },
          // Read only as much audio as the video lasts; unlike Deforum's -shortest this never cuts frames when the audio is shorter.
          ...(options.audio ? [{ url: options.audio, options: [['-t', frameCount / fps] as const] }] : []),
        ],
        output: { url: temp, options: outputOptions(format, fps, crf, preset, frameCount, options.audio !== undefined) },
      },
      { signal: options.signal, onProgress: options.onProgress && ((p) => options.onProgress?.({ ...p, frameCount })) },
    );
    await rename(temp, output);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof VideoError) throw new VideoError(`cannot encode ${output}: ${error.message}`, error.exitCode, { cause: error });
    throw error;
  } finally {
    process.off('exit', removeTemp);
  }
  return { output };
}
