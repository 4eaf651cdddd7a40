import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { JobPayload } from '../farm/job-payload.js';
import type { FarmQueue, JobStatus } from '../farm/queue-client.js';
import { parseDeviceRequest } from '../sampler/device-names.js';
import { integerOption } from './schedule.js';

interface RedisFlags {
  redis?: string;
}

/** Opens the farm's queue for one command and closes it after; bullmq and ioredis load only here. */
async function withQueue<T>(flags: RedisFlags, work: (queue: FarmQueue) => Promise<T>): Promise<T> {
  const { FarmQueue, redisUrl } = await import('../farm/queue-client.js');
  const queue = await FarmQueue.open(redisUrl(flags.redis));
  try {
    return await work(queue);
  } finally {
    await queue.close();
  }
}

const seconds = (s: number) => (s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

/** One line of `queue status`: id, state, name, worker, then progress, or the video, or the error. */
function statusLine(job: JobStatus): string {
  const state = job.cancelRequested && job.state !== 'failed' ? `${job.state} (cancel requested)` : job.state;
  const p = job.progress;
  let detail = '';
  if (job.state === 'failed') detail = `error after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'}: ${job.error ?? 'unknown'}`;
  else if (job.state === 'completed') detail = job.video ?? job.outDir;
  else if (p && p.frames > 0) {
    const speed = p.secondsPerFrame === null ? '' : `, ${p.secondsPerFrame.toFixed(2)} s/frame`;
    const eta = p.phase === 'encoding' ? ', encoding' : p.etaSeconds === null ? '' : `, ETA ${seconds(p.etaSeconds)}`;
    detail = `frame ${p.frame + 1}/${p.frames}${speed}${eta}`;
  } else if (job.error) detail = `retrying after: ${job.error}`;
  return [job.id, state, job.name, job.worker ?? '-', detail].join('  ');
}

interface AddFlags extends RedisFlags {
  out?: string;
  priority?: number;
  device?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const queue = program.command('queue').description('the render farm: queue renders for workers on other machines (BullMQ on Redis)');
  const redisOption = ['--redis <url>', 'Redis server (default DEFORUM_REDIS_URL or redis://127.0.0.1:6379)'] as const;

  queue
    .command('add')
    .description('queue one render per keyframe file; the file and every file it names are recorded with the job')
    .argument('<files...>', 'keyframe JSON files')
    .option(...redisOption)
    .option('--out <dir>', 'where the render folders go, <dir>/<name>, on storage every worker reaches (default renders)')
    .option('--priority <n>', 'lower is rendered sooner (default 100)', integerOption(1, 2 ** 21))
    .option('--device <device>', 'auto, cuda, webgpu or cpu (default: the worker\'s)')
    .option('--json', 'print the jobs as JSON')
    .action(async (files: string[], flags: AddFlags) => {
      if (flags.device !== undefined) parseDeviceRequest(flags.device);
      const { redisUrl } = await import('../farm/queue-client.js');
      redisUrl(flags.redis);
      const { buildJobPayload } = await import('../farm/job-payload.js');
      const outRoot = path.resolve(flags.out ?? 'renders');
      const payloads: JobPayload[] = [];
      // Every file is read and checked before any is queued: a bad one queues none.
      for (const file of files) {
        const { payload, warnings } = await buildJobPayload(file, { outRoot, device: flags.device });
        for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
        const twin = payloads.find((other) => other.outDir === payload.outDir);
        if (twin) throw new UsageError(`${file} and ${twin.keyframes.file} would both render into ${payload.outDir}; give one a different "name"`);
        payloads.push(payload);
      }
      const added = await withQueue(flags, async (farm) => {
        const jobs = [];
        for (const payload of payloads) jobs.push({ id: await farm.add(path.basename(payload.outDir), payload, flags.priority), file: payload.keyframes.file, outDir: payload.outDir });
        return jobs;
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(added)}\n`);
      else for (const job of added) process.stdout.write(`${job.id}\n`);
    });

  queue
    .command('status')
    .description('each job: state, worker, progress, ETA, errors')
    .option(...redisOption)
    .option('--json', 'print the jobs as JSON')
    .action(async (flags: RedisFlags & { json?: boolean }) => {
      const jobs = await withQueue(flags, (farm) => farm.status());
      if (flags.json) process.stdout.write(`${JSON.stringify(jobs)}\n`);
      else if (jobs.length === 0) process.stdout.write('no jobs\n');
      else for (const job of jobs) process.stdout.write(`${statusLine(job)}\n`);
    });

  queue
    .command('cancel')
    .description('stop a job: its worker stops at a frame boundary and the folder stays resumable (retry continues it)')
    .argument('<id>', 'job id')
    .option(...redisOption)
    .action(async (id: string, flags: RedisFlags) => {
      const job = await withQueue(flags, (farm) => farm.cancel(id));
      process.stdout.write(job.state === 'active' ? `job ${id}: its worker stops after the current frame\n` : `job ${id}: cancelled; no worker will render it\n`);
    });

  queue
    .command('retry')
    .description('queue a failed or cancelled job again; its render continues from the frames already made')
    .argument('<id>', 'job id')
    .option(...redisOption)
    .action(async (id: string, flags: RedisFlags) => {
      await withQueue(flags, (farm) => farm.retry(id));
      process.stdout.write(`job ${id}: queued again\n`);
    });

  queue
    .command('clean')
    .description('remove completed and failed jobs from the queue (their render folders stay)')
    .option(...redisOption)
    .action(async (flags: RedisFlags) => {
      const removed = await withQueue(flags, (farm) => farm.clean());
      process.stdout.write(`removed ${removed} job${removed === 1 ? '' : 's'}\n`);
    });

  queue
    .command('ui')
    .description('a web page of the jobs, their progress and last frames, on http://127.0.0.1:PORT')
    .option(...redisOption)
    .option('--port <n>', 'port (default 8420; 0 picks a free one)', integerOption(0, 65535), 8420)
    .action(async (flags: RedisFlags & { port: number }) => {
      const { FarmQueue, redisUrl } = await import('../farm/queue-client.js');
      const { serveUi } = await import('../farm/ui-server.js');
      const farm = await FarmQueue.open(redisUrl(flags.redis));
      const server = await serveUi(farm, flags.port).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`--port ${flags.port}: ${error.code === 'EADDRINUSE' ? 'already in use' : error.message}`);
      });
      const address = server.address();
      process.stdout.write(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : flags.port}/\n`);
      const { onCtrlC } = await import('./interrupt.js');
      const ctrlC = onCtrlC({ stopping: 'stopping the page…', quitting: 'stopped' }, () => undefined);
      await new Promise((resolve) => ctrlC.signal.addEventListener('abort', resolve));
      ctrlC.dispose();
      server.close();
      await farm.close();
    });
}
