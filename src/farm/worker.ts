/**
 * A render-farm worker (issue 20): takes jobs from the BullMQ queue and renders each with the normal render path
 * (`renderAnimation`: the same frames, journal, lock and video as `deforum render`). Its outcomes, in BullMQ's terms:
 * bad input fails the job at once (UnrecoverableError, no retry); a failure while working is thrown, so BullMQ retries
 * it with backoff; a stop (SIGINT/SIGTERM) finishes the frames in progress (the cadence group), then hands the job
 * back to the queue; a cancel stops the render at once (the next sampler step, nothing half-written kept) and fails
 * it as cancelled, resumable by `queue retry`. A worker that dies (SIGKILL, a lost machine) stops renewing its BullMQ
 * lock: the stalled-job check gives the job to another worker, which resumes it from the journal, taking over the
 * dead worker's render lock.
 */
import os from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DeforumError } from '../errors.js';
import { deforum } from '../invocation.js';
import { keepLockHistory, RenderLockHeld } from '../render/lock.js';
import { RenderInterrupted } from '../render/render-frames.js';
import { renderAnimation } from '../render/run.js';
import { parseDeviceRequest } from '../sampler/device-names.js';
import { jobAnimation, readJobPayload, type JobPayload } from './job-payload.js';
import { progressTracker, type JobProgress } from './progress.js';
import { CANCEL_KEY, connectRedis, QUEUE_NAME, redisOptions, type JobResult } from './queue-client.js';

export interface WorkerOptions {
  url: string;
  /** Overrides the device a job asks for (the device this machine has). */
  device?: string;
  concurrency: number;
  name: string;
  /** How long a job stays with a worker that stopped renewing its lock before another worker takes it. */
  lockSeconds: number;
  /** One line per job event, for the terminal. */
  log: (line: string) => void;
}

/** How often a running job's cancel request is looked for: well under a frame. */
const CANCEL_POLL_MS = 250;
/**
 * Stalls a job may have before BullMQ fails it: each stall is a lost worker (a preempted spot machine), and each
 * resume costs only the unfinished cadence group, so allow many, but not endlessly (a job that kills its worker).
 */
const MAX_STALLS = 10;

export const workerName = (name?: string) => name ?? `${os.hostname()}:${process.pid}`;

/**
 * Sends progress without ever holding up the render: while Redis is away an update waits for the reconnect, and only
 * the newest one is kept behind it.
 */
function progressPublisher(job: Job<JobPayload, JobResult>): (progress: JobProgress) => void {
  let sending = false;
  let next: JobProgress | undefined;
  const send = (progress: JobProgress) => {
    sending = true;
    job.updateProgress(progress).catch(() => undefined).finally(() => {
      sending = false;
      if (next) {
        const latest = next;
        next = undefined;
        send(latest);
      }
    });
  };
  return (progress) => (sending ? (next = progress) : send(progress));
}

/** Aborts `controller` as soon as job `id` has a cancel request; returns the stop. */
function watchCancel(redis: Redis, id: string, controller: AbortController, cancelled: { value: boolean }): () => void {
  // One look at a time: while Redis is away a look waits for the reconnect, and looks must not pile up behind it.
  let looking = false;
  const timer = setInterval(() => {
    if (looking) return;
    looking = true;
    redis.hexists(CANCEL_KEY, id).then(
      (found) => {
        looking = false;
        if (found !== 1 || controller.signal.aborted) return;
        cancelled.value = true;
        controller.abort();
      },
      () => (looking = false),
    );
  }, CANCEL_POLL_MS);
  return () => clearInterval(timer);
}

export interface FarmWorker {
  /** Stops every render once its cadence group in progress is written, hands the jobs back to the queue, and closes. */
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<FarmWorker> {
  const redis = await connectRedis(options.url, true);
  redis.on('error', () => undefined);
  // The farm audits who held each render folder when (the e2e test checks no folder had two holders at once).
  keepLockHistory();
  const stopping = new AbortController();

  const processJob = async (job: Job<JobPayload, JobResult>, token?: string): Promise<JobResult> => {
    const id = job.id!;
    let payload: JobPayload;
    try {
      payload = readJobPayload(job.data);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    if ((await redis.hexists(CANCEL_KEY, id)) === 1) throw new UnrecoverableError(`cancelled before it started; '${deforum()} queue retry ${id}' queues it again`);
    const controller = new AbortController();
    const cancelled = { value: false };
    const stopWatching = watchCancel(redis, id, controller, cancelled);
    options.log(`job ${id} (${job.name}): rendering ${payload.keyframes.file} into ${payload.outDir}`);
    try {
      const animation = await jobAnimation(payload);
      const started = performance.now();
      const summary = await renderAnimation({
        animation,
        source: payload.keyframes.file,
        outDir: payload.outDir,
        device: parseDeviceRequest(options.device ?? payload.device ?? 'auto'),
        signal: controller.signal,
        stopAfterGroup: stopping.signal,
        onEvent: progressTracker(options.name, progressPublisher(job)),
        log: (message) => options.log(`job ${id}: ${message}`),
      });
      options.log(`job ${id} (${job.name}): done, ${summary.video}`);
      return { outDir: summary.outDir, video: summary.video, frames: summary.frames, rendered: summary.rendered, seconds: summary.seconds, renderSeconds: (performance.now() - started) / 1000 };
    } catch (error) {
      if (error instanceof RenderInterrupted && cancelled.value) {
        options.log(`job ${id}: cancelled, ${error.message}`);
        throw new UnrecoverableError(`cancelled (${error.message}); '${deforum()} queue retry ${id}' continues it`);
      }
      if (error instanceof RenderInterrupted && stopping.signal.aborted && token) {
        options.log(`job ${id}: ${error.message}; handed back to the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      // Another worker still renders this folder (this job came back after a long Redis outage): try again later.
      if (error instanceof RenderLockHeld) throw new Error(error.message);
      if (error instanceof DeforumError && error.exitCode === 2) {
        options.log(`job ${id}: failed, bad input: ${error.message}`);
        throw new UnrecoverableError(error.message);
      }
      options.log(`job ${id}: attempt ${job.attemptsMade + 1} failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    } finally {
      stopWatching();
    }
  };

  const worker = new Worker<JobPayload, JobResult>(QUEUE_NAME, processJob, {
    connection: { url: options.url, ...redisOptions(true) },
    name: options.name,
    concurrency: options.concurrency,
    lockDuration: options.lockSeconds * 1000,
    // The check only finds holds that expired, so looking twice as often costs a Redis call, never a live job.
    stalledInterval: (options.lockSeconds * 1000) / 2,
    maxStalledCount: MAX_STALLS,
  });
  // Connection errors while Redis restarts are retried by ioredis; BullMQ reports them here as well.
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  let closing: Promise<void> | undefined;
  return {
    stop() {
      closing ??= (async () => {
        stopping.abort();
        await worker.close();
        redis.disconnect();
      })();
      return closing;
    },
  };
}
