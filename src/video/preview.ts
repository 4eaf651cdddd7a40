import { encodeVideo } from './encode.js';
import type { FfmpegTools } from './ffmpeg.js';

export interface PreviewOptions {
  framesDir: string;
  pattern?: string;
  fps?: number;
  /** e.g. renders/<name>/preview.mp4 */
  output: string;
  tools: FfmpegTools;
  /** Stops a running encode (its temporary file is removed) and fails the requests still waiting. */
  signal?: AbortSignal;
}

interface PreviewJob {
  frameCount: number;
  waiters: { resolve: (frames: number) => void; reject: (error: unknown) => void }[];
}

/** Preview quality: fast to make, still playable (Deforum's live preview is also an mp4). */
const previewEncoding = { format: 'mp4', preset: 'veryfast', crf: 23 } as const;

/**
 * A playable mp4 of the frames so far, re-made on request while the render goes on (`--preview-every N`). One encode
 * runs at a time; a request made meanwhile waits, and a newer request replaces a waiting one, so a slow ffmpeg never
 * builds a backlog. Each file is written whole and renamed into place.
 */
export class PreviewEncoder {
  private running: PreviewJob | undefined;
  private waiting: PreviewJob | undefined;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(private readonly options: PreviewOptions) {}

  /**
   * Asks for a preview of frames 0 … frameCount−1. Resolves with the frame count of the preview that satisfied it
   * (a later request's, if this one was replaced while waiting); rejects with the `VideoError` of a failed encode.
   * The caller need not wait: an ignored failure is not an unhandled rejection.
   */
  request(frameCount: number): Promise<number> {
    const promise = new Promise<number>((resolve, reject) => {
      const waiter = { resolve, reject };
      if (!this.running) {
        this.idle = new Promise((done) => (this.markIdle = done));
        this.start({ frameCount, waiters: [waiter] });
      } else if (this.waiting) {
        this.waiting.frameCount = frameCount;
        this.waiting.waiters.push(waiter);
      } else {
        this.waiting = { frameCount, waiters: [waiter] };
      }
    });
    promise.catch(() => {});
    return promise;
  }

  /** Resolves when no preview encode is running or waiting. */
  settled(): Promise<void> {
    return this.idle;
  }

  private start(job: PreviewJob): void {
    this.running = job;
    const { framesDir, pattern, fps, output, tools, signal } = this.options;
    encodeVideo({ framesDir, pattern, fps, output, tools, signal, frameCount: job.frameCount, ...previewEncoding }).then(
      () => this.finish(job, (w) => w.resolve(job.frameCount)),
      (error: unknown) => this.finish(job, (w) => w.reject(error)),
    );
  }

  private finish(job: PreviewJob, settle: (waiter: PreviewJob['waiters'][number]) => void): void {
    job.waiters.forEach(settle);
    const next = this.waiting;
    this.waiting = undefined;
    this.running = undefined;
    if (next) this.start(next);
    else this.markIdle();
  }
}
