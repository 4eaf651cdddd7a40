import type { Command } from 'commander';
import { parseDeviceRequest } from '../sampler/device-names.js';
import { INTERRUPTED_EXIT_CODE } from './interrupt.js';
import { integerOption } from './schedule.js';

interface WorkerFlags {
  redis?: string;
  device?: string;
  concurrency: number;
  name?: string;
  lockSeconds: number;
}

/** Exit codes of a worker stopped by a signal, as shells report them (128 + the signal's number). */
const SIGNAL_EXIT_CODES = { SIGINT: INTERRUPTED_EXIT_CODE, SIGTERM: 143 } as const;

export function register(program: Command): void {
  program
    .command('worker')
    .description('render jobs from the farm\'s queue until stopped (SIGINT/SIGTERM finish the frames in progress and hand the job back)')
    .option('--redis <url>', 'Redis server (default DEFORUM_REDIS_URL or redis://127.0.0.1:6379)')
    .option('--device <device>', 'cuda, webgpu, cpu or auto (default: what each job asks for, else auto)')
    .option('--concurrency <n>', 'jobs rendered at once', integerOption(1, 64), 1)
    .option('--name <name>', 'how status names this worker (default HOST:PID)')
    .option('--lock-seconds <n>', 'a job whose worker is silent this long (killed, machine lost) goes to another worker', integerOption(2, 3600), 30)
    .action(async (flags: WorkerFlags) => {
      if (flags.device !== undefined) parseDeviceRequest(flags.device);
      // the worker loads bullmq, ioredis, sharp and onnxruntime; other commands start without them
      const { FarmQueue, redisUrl } = await import('../farm/queue-client.js');
      const { startWorker, workerName } = await import('../farm/worker.js');
      const url = redisUrl(flags.redis);
      // Fails in seconds, with the message saying how to start Redis, when none is there.
      await (await FarmQueue.open(url)).close();
      const name = workerName(flags.name);
      const log = (line: string) => process.stderr.write(`deforum worker ${name}: ${line}\n`);
      const worker = await startWorker({ url, device: flags.device, concurrency: flags.concurrency, name, lockSeconds: flags.lockSeconds, log });
      log(`waiting for jobs on ${url}`);
      const signal = await new Promise<keyof typeof SIGNAL_EXIT_CODES>((resolve) => {
        for (const name of Object.keys(SIGNAL_EXIT_CODES) as Array<keyof typeof SIGNAL_EXIT_CODES>) process.once(name, () => resolve(name));
      });
      log(`${signal}: finishing the frames in progress, then handing the job back (${signal} again quits at once)`);
      process.once(signal, () => process.exit(SIGNAL_EXIT_CODES[signal]));
      await worker.stop();
      process.exit(SIGNAL_EXIT_CODES[signal]);
    });
}
