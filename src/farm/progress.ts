/**
 * A running job's progress as BullMQ stores it on the job (`job.progress`), made from the render's events: the frame
 * reached, the frame count, seconds per frame over this attempt, the ETA and the last frame written; `queue status`
 * and the web page read it back.
 */
import { z } from 'zod';
import type { RenderEvent } from '../render/events.js';

export const JobProgressSchema = z.object({
  phase: z.enum(['starting', 'rendering', 'encoding', 'done']),
  worker: z.string(),
  outDir: z.string().optional(),
  /** The last frame durably written (−1 before the first), and the animation's frame count. */
  frame: z.int(),
  frames: z.int(),
  /** Frames kept from earlier attempts or renders of the folder (a resumed job). */
  reused: z.int(),
  secondsPerFrame: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  lastFrameFile: z.string().nullable(),
  updatedAt: z.string(),
});
export type JobProgress = z.infer<typeof JobProgressSchema>;

/** The progress a job's data holds, or undefined for a job not started (BullMQ stores 0) or not ours. */
export function readJobProgress(value: unknown): JobProgress | undefined {
  const parsed = JobProgressSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Folds render events into the job's progress, calling `publish` with each new state worth storing (start, each frame,
 * encoding, done); step events are left out: one update per frame is plenty and cheap beside a frame's seconds.
 */
export function progressTracker(worker: string, publish: (progress: JobProgress) => void): (event: RenderEvent) => void {
  let progress: JobProgress = { phase: 'starting', worker, frame: -1, frames: 0, reused: 0, secondsPerFrame: null, etaSeconds: null, lastFrameFile: null, updatedAt: new Date().toISOString() };
  let seconds = 0;
  let rendered = 0;
  const update = (change: Partial<JobProgress>) => {
    progress = { ...progress, ...change, updatedAt: new Date().toISOString() };
    publish(progress);
  };
  return (event) => {
    if (event.type === 'start') update({ phase: 'rendering', outDir: event.outDir, frames: event.frames, frame: event.reused - 1, reused: event.reused });
    else if (event.type === 'frame') {
      seconds += event.seconds;
      rendered += 1;
      const secondsPerFrame = seconds / rendered;
      update({ frame: event.frame, frames: event.frames, secondsPerFrame, etaSeconds: secondsPerFrame * (event.frames - 1 - event.frame), lastFrameFile: event.file });
    } else if (event.type === 'encode' && progress.phase !== 'encoding') update({ phase: 'encoding', etaSeconds: null });
    else if (event.type === 'done') update({ phase: 'done', frame: event.frames - 1, etaSeconds: 0 });
  };
}
