import { spawn } from 'node:child_process';
import { z } from 'zod';
import { VideoError } from '../errors.js';
import { nonEmptyFileProblem } from '../input-file.js';
import { runFfmpeg, type FfmpegTools } from './ffmpeg.js';

/** What ffprobe says about a video file. */
export interface VideoInfo {
  /** Decoded video frames (`-count_frames`), exact. */
  frames: number;
  fps: number;
  width: number;
  height: number;
  codec: string;
  pixFmt: string;
  hasAudio: boolean;
  /** Seconds, of the container. */
  duration: number;
}

const ProbeSchema = z.object({
  streams: z.array(
    z.object({
      codec_type: z.string(),
      codec_name: z.string().optional(),
      width: z.number().optional(),
      height: z.number().optional(),
      pix_fmt: z.string().optional(),
      avg_frame_rate: z.string().optional(),
      r_frame_rate: z.string().optional(),
      nb_read_frames: z.string().optional(),
    }),
  ),
  format: z.object({ duration: z.string().optional() }),
});

/** "30000/1001" → 29.97; "0/0" → NaN. */
function rate(fraction: string | undefined): number {
  const [num, den] = (fraction ?? '0/0').split('/').map(Number);
  return den ? num / den : Number.NaN;
}

/** ffprobe's JSON for `file` (ffprobe's own options first), or a `VideoError` (exit 1) with its last error line. */
function ffprobe(file: string, options: string[], tools: Pick<FfmpegTools, 'ffprobe'>, timeoutMs?: number): Promise<z.infer<typeof ProbeSchema>> {
  const args = ['-v', 'error', ...options, '-show_streams', '-show_format', '-of', 'json', file];
  return new Promise((resolve, reject) => {
    const child = spawn(tools.ffprobe, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', (error) => reject(new VideoError(`cannot run ffprobe at ${tools.ffprobe}: ${error.message}`, 1)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(ProbeSchema.parse(JSON.parse(out)));
      const reason = signal ? `ffprobe took more than ${timeoutMs} ms` : (err.trim().split('\n').at(-1)?.replace(`${file}: `, '') ?? `exit code ${code}`);
      reject(new VideoError(`ffprobe cannot read ${file}: ${reason}`, 1));
    });
  });
}

/** Runs ffprobe on `file`: a `VideoError` (exit 1) naming the file if it cannot be read as a video. */
export async function probeVideo(file: string, tools: Pick<FfmpegTools, 'ffprobe'>): Promise<VideoInfo> {
  const probe = await ffprobe(file, ['-count_frames'], tools);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  if (!video) throw new VideoError(`${file} has no video stream`, 1);
  const avg = rate(video.avg_frame_rate);
  return {
    frames: Number(video.nb_read_frames ?? 0),
    fps: Number.isFinite(avg) && avg > 0 ? avg : rate(video.r_frame_rate),
    width: video.width ?? 0,
    height: video.height ?? 0,
    codec: video.codec_name ?? 'unknown',
    pixFmt: video.pix_fmt ?? 'unknown',
    hasAudio: probe.streams.some((s) => s.codec_type === 'audio'),
    duration: Number(probe.format.duration ?? Number.NaN),
  };
}

export type MediaKind = 'audio' | 'video';

/** Reading a header or one second of media takes well under a second; a file that takes this long is not usable. */
const MEDIA_CHECK_TIMEOUT_MS = 30_000;

/**
 * Why `file` cannot serve as `kind`, completing "FILE …" ("has no audio stream", …), or undefined. ffprobe finds
 * the streams; then the start is decoded with -xerror (the first second of audio, the first video frame), because
 * ffprobe accepts damaged data: random bytes named .mp3 or .flac probe as an audio stream. A video's frames must fit
 * `maxPixels`. Only a regular file is opened, and each step is bounded in time.
 */
export async function mediaFileProblem(file: string, kind: MediaKind, tools: Pick<FfmpegTools, 'ffmpeg' | 'ffprobe'>, maxPixels = Number.POSITIVE_INFINITY): Promise<string | undefined> {
  const problem = await nonEmptyFileProblem(file);
  if (problem) return `${problem}, expected ${kind === 'audio' ? 'an audio' : 'a video'} file`;
  let probe: z.infer<typeof ProbeSchema>;
  try {
    probe = await ffprobe(file, [], tools, MEDIA_CHECK_TIMEOUT_MS);
  } catch (error) {
    return `is not ${kind} that ffmpeg can read (${(error as Error).message.replace(`ffprobe cannot read ${file}: `, '')})`;
  }
  const stream = probe.streams.find((s) => s.codec_type === kind);
  if (!stream) return `has no ${kind} stream`;
  const pixels = (stream.width ?? 0) * (stream.height ?? 0);
  if (pixels > maxPixels) return `is ${stream.width}×${stream.height}, larger than the ${Math.sqrt(maxPixels)}×${Math.sqrt(maxPixels)} limit`;
  try {
    await runFfmpeg(
      tools,
      { inputs: [{ url: file }], output: { url: '-', options: [['-map', `0:${kind[0]}:0`], kind === 'audio' ? ['-t', 1] : ['-frames:v', 1], ['-f', 'null']] } },
      { signal: AbortSignal.timeout(MEDIA_CHECK_TIMEOUT_MS) },
    );
  } catch (error) {
    const reason = error instanceof VideoError ? error.message.replace(/^ffmpeg exited with code \d+: /, '') : `took more than ${MEDIA_CHECK_TIMEOUT_MS / 1000} s`;
    return `cannot be decoded as ${kind} (${reason})`;
  }
  return undefined;
}
