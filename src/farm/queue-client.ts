/**
 * The render farm's queue on BullMQ and Redis (issue 20): add jobs, list them with their state and progress, cancel,
 * retry and clean. One BullMQ queue, `deforum-render`; a job is one render (frame t needs frame t−1, so a render is
 * the unit of distribution). Cancel requests live in a Redis hash beside the queue, which workers poll: BullMQ's own
 * cancel reaches only the worker process it is called in.
 */
import { Queue, type Job, type JobState } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueError, UsageError } from '../errors.js';
import { deforum } from '../invocation.js';
import { type JobPayload } from './job-payload.js';
import { readJobProgress, type JobProgress } from './progress.js';

export const QUEUE_NAME = 'deforum-render';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Job id → when `queue cancel` asked for it. */
export const CANCEL_KEY = 'deforum:cancel-requests';

/** A failure while working is retried this many times in all, waiting 5 s, 10 s, 20 s … between attempts. */
export const JOB_ATTEMPTS = 4;
const BACKOFF_MS = 5000;
/** Jobs without --priority: BullMQ takes lower numbers first, so `--priority 1` goes ahead of these. */
export const DEFAULT_PRIORITY = 100;
export const MAX_PRIORITY = 2 ** 21;

/** The Redis server: `--redis`, else DEFORUM_REDIS_URL, else the local default. */
export function redisUrl(flag: string | undefined): string {
  const url = flag ?? process.env.DEFORUM_REDIS_URL ?? DEFAULT_REDIS_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--redis: ${url} is not a URL; expected redis://HOST:PORT`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new UsageError(`--redis: ${url}: expected redis://HOST:PORT or rediss://HOST:PORT`);
  return url;
}

/**
 * ioredis options: a worker waits out a Redis restart or a network drop (every command waits for the reconnect, as
 * BullMQ requires of workers); a command answers in seconds.
 */
export function redisOptions(persistent: boolean): { maxRetriesPerRequest: number | null; connectTimeout?: number; retryStrategy: (times: number) => number | null } {
  return persistent
    ? { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) }
    : { maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: (times) => (times > 3 ? null : 200) };
}

/** Connects, or says in one line that Redis is not there and how to start it. */
export async function connectRedis(url: string, persistent: boolean): Promise<Redis> {
  const client = new Redis(url, { ...redisOptions(persistent), lazyConnect: true });
  // ioredis reports each failed try as an 'error' event (with the socket's code); the failed connect says it once.
  let lastError: NodeJS.ErrnoException | undefined;
  client.on('error', (error: NodeJS.ErrnoException) => (lastError = error));
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    const why = lastError?.code ?? (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new QueueError(`cannot reach Redis at ${url} (${why}); start one with 'redis-server' (see the README's render farm section) or pass --redis`, 1);
  }
}

export type JobStatusState = JobState | 'unknown';

/** One job as `queue status` and the web page show it. */
export interface JobStatus {
  id: string;
  name: string;
  file: string;
  outDir: string;
  state: JobStatusState;
  priority: number;
  worker?: string;
  progress?: JobProgress;
  attemptsMade: number;
  error?: string;
  video?: string;
  cancelRequested: boolean;
  queuedAt: string;
  finishedAt?: string;
}

/** What a worker returns when a job completes (BullMQ keeps it as the job's return value). */
export interface JobResult {
  outDir: string;
  video?: string;
  frames: number;
  rendered: number;
  /** The frame loop's seconds, as `deforum render` reports them. */
  seconds: number;
  /** The whole render's wall time in the worker (model load, frames, video): the time the queue adds to is beside it. */
  renderSeconds: number;
}

/** Every state a job can be in, in the order `queue status` lists them. */
const STATES: JobState[] = ['active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'failed', 'completed'];

function jobStatus(job: Job<JobPayload, JobResult>, state: JobStatusState, cancelRequested: boolean): JobStatus {
  const data = job.data as Partial<JobPayload> | undefined;
  const progress = readJobProgress(job.progress);
  return {
    id: job.id ?? '',
    name: job.name,
    file: data?.keyframes?.file ?? '',
    outDir: data?.outDir ?? '',
    state,
    priority: job.opts.priority ?? 0,
    ...(job.processedBy ? { worker: job.processedBy } : {}),
    ...(progress ? { progress } : {}),
    attemptsMade: job.attemptsMade,
    ...(job.failedReason ? { error: job.failedReason } : {}),
    ...(job.returnvalue?.video ? { video: job.returnvalue.video } : {}),
    cancelRequested,
    queuedAt: new Date(job.timestamp).toISOString(),
    ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString() } : {}),
  };
}

export class FarmQueue {
  private constructor(
    readonly url: string,
    private readonly queue: Queue<JobPayload, JobResult>,
    private readonly redis: Redis,
  ) {}

  static async open(url: string): Promise<FarmQueue> {
    const redis = await connectRedis(url, false);
    const queue = new Queue<JobPayload, JobResult>(QUEUE_NAME, { connection: { url, ...redisOptions(false) } });
    queue.on('error', () => undefined);
    return new FarmQueue(url, queue, redis);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }

  /** Queues one render; failures while working are retried with backoff, bad input is not (the worker decides). */
  async add(name: string, payload: JobPayload, priority = DEFAULT_PRIORITY): Promise<string> {
    const job = await this.queue.add(name, payload, { priority, attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: BACKOFF_MS } });
    return job.id!;
  }

  /** Every job the queue keeps, oldest first. */
  async status(): Promise<JobStatus[]> {
    const cancels = new Set(await this.redis.hkeys(CANCEL_KEY));
    const jobs: JobStatus[] = [];
    for (const state of STATES) {
      for (const job of await this.queue.getJobs([state])) if (job) jobs.push(jobStatus(job, state, cancels.has(job.id!)));
    }
    return jobs.sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
  }

  async job(id: string): Promise<{ job: Job<JobPayload, JobResult>; status: JobStatus }> {
    const job = await this.queue.getJob(id);
    if (!job) throw new QueueError(`no job ${id} in the queue ('${deforum()} queue status' lists them)`);
    const state = await job.getState();
    return { job, status: jobStatus(job, state, (await this.redis.hexists(CANCEL_KEY, id)) === 1) };
  }

  /**
   * Asks the worker rendering job `id` to stop at the next frame boundary (the folder stays resumable, `retry`
   * continues it); a job not started yet is failed as cancelled when a worker takes it.
   */
  async cancel(id: string): Promise<JobStatus> {
    const { status } = await this.job(id);
    if (status.state === 'completed' || status.state === 'failed') throw new QueueError(`job ${id} is ${status.state}; there is nothing to cancel`);
    await this.redis.hset(CANCEL_KEY, id, new Date().toISOString());
    return { ...status, cancelRequested: true };
  }

  /** Puts a failed (or cancelled) job back in the queue; its render continues from the folder's journal. */
  async retry(id: string): Promise<void> {
    const { job, status } = await this.job(id);
    if (status.state !== 'failed') throw new QueueError(`job ${id} is ${status.state}; only a failed or cancelled job can be retried`);
    await this.redis.hdel(CANCEL_KEY, id);
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  }

  /** Removes completed and failed jobs from the queue (their render folders stay); the number removed. */
  async clean(): Promise<number> {
    const removed = [...(await this.queue.clean(0, 0, 'completed')), ...(await this.queue.clean(0, 0, 'failed'))];
    if (removed.length > 0) await this.redis.hdel(CANCEL_KEY, ...removed);
    return removed.length;
  }
}
