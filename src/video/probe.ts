import { spawn } from 'node:child_process';
import { z } from 'zod';
import { VideoError } from '../errors.js';
import type { FfmpegTools } from './ffmpeg.js';

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

/** Runs ffprobe on `file`: a `VideoError` (exit 1) naming the file if it cannot be read as a video. */
export async function probeVideo(file: string, tools: Pick<FfmpegTools, 'ffprobe'>): Promise<VideoInfo> {
  const args = ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', file];
  const json = await new Promise<string>((resolve, reject) => {
    const child = spawn(tools.ffprobe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', (error) => reject(new VideoError(`cannot run ffprobe at ${tools.ffprobe}: ${error.message}`, 1)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new VideoError(`ffprobe cannot read ${file}: ${err.trim().split('\n').at(-1) ?? `exit code ${code}`}`, 1))));
  });
  const probe = ProbeSchema.parse(JSON.parse(json));
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
