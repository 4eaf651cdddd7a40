/**
 * The render farm's throughput and what the queue costs (issue 20): M tiny renders (the bundled model, 64×64) queued on
 * a local redis-server and rendered by N `deforum worker` processes on the CPU, for each N asked. Per job, the queue's
 * overhead is the time it spends in the farm outside `renderAnimation`: from being queued (or its worker finishing the
 * job before) to a worker starting it, plus the worker's own time around the render (reading the payload, checking
 * the copies, completing the job). Progress updates run beside the render and are inside its wall time.
 * A local `deforum render` of one of the files is timed too, process start to exit, for scale.
 * Run: npx tsx bench/farm.ts [--workers 1,2] [--jobs 6] [--frames 24]   (after npm run build: workers run dist/)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Queue, type Job } from 'bullmq';
import { QUEUE_NAME, redisOptions, type JobResult } from '../src/farm/queue-client.js';
import type { JobPayload } from '../src/farm/job-payload.js';
import { bundledModelPath } from '../src/models/bundled.js';
import { cliPath, repoRoot } from '../test/helpers.js';
import { RedisServer, startWorkerProcess, waitFor, killAll } from '../test/farm/farm-fixture.js';
import { tempDir } from '../test/render/render-fixture.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const workerCounts = option('--workers', '1,2').split(',').map(Number);
const jobCount = Number(option('--jobs', '6'));
const frames = Number(option('--frames', '24'));

const dir = tempDir('deforum-bench-farm-');
const files = Array.from({ length: jobCount }, (_, i) => {
  const file = path.join(dir, `job-${i}.json`);
  const animation = {
    model: bundledModelPath('tiny-sd'), width: 64, height: 64, frames, fps: 8, steps: 8, seed: 100 + i, sampler: 'euler_a', diffusionCadence: 2,
    prompts: { '0': 'a red circle on a blue background' }, schedules: { zoom: '0:(1.04)', angle: '0:(1.5)', strength: '0:(0.6)' }, output: { preset: 'ultrafast' },
  };
  writeFileSync(file, JSON.stringify(animation));
  return file;
});

function run(command: string[]): Promise<{ code: number | null; seconds: number; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...command], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('close', (code) => resolve({ code, seconds: (performance.now() - started) / 1000, stderr }));
  });
}

const local = await run(['render', files[0], '--out', path.join(dir, 'local'), '--device', 'cpu']);
if (local.code !== 0) throw new Error(local.stderr);
console.log(`local deforum render of one job (${frames} frames, 64×64, 8 steps, CPU), process start to exit: ${local.seconds.toFixed(2)} s`);
console.log('');
console.log('| workers | jobs | wall (s) | jobs per hour | render per job (s) | queue overhead per job (ms) | overhead / render |');
console.log('|---|---|---|---|---|---|---|');

for (const workers of workerCounts) {
  const redis = await RedisServer.start();
  const started = Array.from({ length: workers }, (_, i) => startWorkerProcess(redis.url, `bench-${i}`));
  await waitFor('the workers to start', () => (started.every((w) => /waiting for jobs/.test(w.output())) ? true : undefined), 60_000, 50);
  const readyAt = Date.now();
  const add = await run(['queue', 'add', ...files, '--redis', redis.url, '--out', path.join(dir, `farm-${workers}`)]);
  if (add.code !== 0) throw new Error(add.stderr);
  const queue = new Queue<JobPayload, JobResult>(QUEUE_NAME, { connection: { url: redis.url, ...redisOptions(false) } });
  const jobs = await waitFor('every job to complete', async () => {
    const failed = await queue.getJobs(['failed']);
    if (failed.length > 0) throw new Error(`job ${failed[0].id} failed: ${failed[0].failedReason}`);
    const done = (await queue.getJobs(['completed'])) as Array<Job<JobPayload, JobResult>>;
    return done.length === jobCount ? done : undefined;
  }, 3_600_000, 100);
  await queue.close();
  await killAll(started);
  await redis.stop();

  // Per worker, in the order it took its jobs: the time the queue held a job a free worker could have taken.
  let overheadMs = 0;
  let renderSeconds = 0;
  for (const name of new Set(jobs.map((job) => job.processedBy))) {
    let freeAt = readyAt;
    for (const job of jobs.filter((j) => j.processedBy === name).sort((a, b) => a.processedOn! - b.processedOn!)) {
      const pickup = job.processedOn! - Math.max(job.timestamp, freeAt);
      const aroundRender = job.finishedOn! - job.processedOn! - job.returnvalue.renderSeconds * 1000;
      overheadMs += pickup + aroundRender;
      renderSeconds += job.returnvalue.renderSeconds;
      freeAt = job.finishedOn!;
    }
  }
  const wall = (Math.max(...jobs.map((job) => job.finishedOn!)) - Math.min(...jobs.map((job) => job.timestamp))) / 1000;
  const perJobMs = overheadMs / jobCount;
  const perJobRender = renderSeconds / jobCount;
  console.log(`| ${workers} | ${jobCount} | ${wall.toFixed(1)} | ${((jobCount / wall) * 3600).toFixed(0)} | ${perJobRender.toFixed(2)} | ${perJobMs.toFixed(1)} | ${((perJobMs / 1000 / perJobRender) * 100).toFixed(2)} % |`);
}
