import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FarmQueue, type JobStatus } from '../../src/farm/queue-client.js';
import { animationFile, frameBytes, runCliAsync, tempDir, TEST_MODEL } from '../render/render-fixture.js';
import {
  journalFrames, killAll, lockHistory, overlappingHolders, RedisServer, sha256, startWorkerProcess, waitFor, type WorkerProcess,
} from './farm-fixture.js';

/**
 * The render farm end to end (issue 20, "Done when"): real `redis-server`, real `deforum worker` processes on the
 * bundled tiny model, tiny renders (64×64, few steps). Every farm render must be byte-identical to a local
 * `deforum render` of the same file.
 */
const FRAMES = 16;
const tiny = (seed: number, extra: Record<string, unknown> = {}) => ({ width: 64, height: 64, frames: FRAMES, fps: 8, steps: 8, seed, ...extra });

let dir: string;
const files: Record<string, string> = {};
const local: Record<string, Map<string, Buffer>> = {};
let redis: RedisServer | undefined;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  dir = tempDir('deforum-farm-');
  files.a = animationFile(dir, tiny(11), 'a.json');
  files.b = animationFile(dir, tiny(22, { prompts: { '0': 'a green field --neg fog' } }), 'b.json');
  files.c = animationFile(dir, tiny(33, { diffusionCadence: 1 }), 'c.json');
  // Slower frames (every frame diffused, many steps: longer than the worker's 250 ms cancel poll), so a cancel lands
  // inside a frame, and a render long enough to cancel, retry and stop it in the middle.
  files.d = animationFile(dir, tiny(44, { steps: 80, frames: 24, diffusionCadence: 1 }), 'd.json');
  const renders = await Promise.all(
    Object.entries(files).map(async ([name, file]) => [name, await runCliAsync(['render', file, '--out', path.join(dir, 'local', name), '--device', 'cpu'])] as const),
  );
  for (const [name, run] of renders) {
    expect(run.code, run.stderr).toBe(0);
    local[name] = frameBytes(path.join(dir, 'local', name));
  }
}, 180_000);

afterEach(async () => {
  await killAll(workers);
  workers = [];
  await redis?.stop();
  redis = undefined;
});

afterAll(async () => {
  await killAll(workers);
  await redis?.stop();
});

async function openQueue(): Promise<FarmQueue> {
  return FarmQueue.open(redis!.url);
}

async function queueAdd(out: string, ...names: string[]): Promise<string[]> {
  const run = await runCliAsync(['queue', 'add', ...names.map((name) => files[name]), '--redis', redis!.url, '--out', out, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as Array<{ id: string }>).map((job) => job.id);
}

function worker(name: string, extra: string[] = []): WorkerProcess {
  const started = startWorkerProcess(redis!.url, name, extra);
  workers.push(started);
  return started;
}

const byId = async (queue: FarmQueue, id: string): Promise<JobStatus> => (await queue.status()).find((job) => job.id === id)!;

async function allCompleted(queue: FarmQueue, ids: string[], timeoutMs = 120_000): Promise<JobStatus[]> {
  return waitFor(`jobs ${ids.join(', ')} to complete`, async () => {
    const jobs = (await queue.status()).filter((job) => ids.includes(job.id));
    const failed = jobs.find((job) => job.state === 'failed');
    if (failed) throw new Error(`job ${failed.id} failed: ${failed.error}`);
    return jobs.length === ids.length && jobs.every((job) => job.state === 'completed') ? jobs : undefined;
  }, timeoutMs);
}

/** The folder's frames are the local render's, byte for byte, and its journal names each frame once with its hash. */
function expectSameAsLocal(outDir: string, name: string): void {
  const frames = frameBytes(outDir);
  expect([...frames.keys()]).toEqual([...local[name].keys()]);
  for (const [file, bytes] of frames) expect(bytes.equals(local[name].get(file)!), `${outDir}/frames/${file}`).toBe(true);
  const journal = journalFrames(outDir);
  expect(journal.map((entry) => entry.frame)).toEqual([...frames.keys()].map((_, i) => i));
  for (const entry of journal) expect(entry.png).toBe(sha256(frames.get([...frames.keys()][entry.frame])!));
  expect(overlappingHolders(lockHistory(outDir))).toEqual([]);
}

describe('render farm', () => {
  it('three renders on two workers, one SIGKILLed mid-render: all complete, identical to local renders, one holder at a time', async () => {
    redis = await RedisServer.start({ persistent: true });
    const out = path.join(dir, 'farm1');
    const ids = await queueAdd(out, 'a', 'b', 'c');
    expect(ids).toHaveLength(3);
    const queue = await openQueue();
    try {
      const a = worker('worker-a');
      worker('worker-b');
      // `queue status` as a user runs it, all through the run.
      const statusRuns: string[] = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const run = await runCliAsync(['queue', 'status', '--json', '--redis', redis!.url]);
          if (run.code === 0) statusRuns.push(run.stdout);
        }
      })();
      const victim = await waitFor('worker-a in the middle of a render', async () =>
        (await queue.status()).find((job) => job.state === 'active' && job.worker === 'worker-a' && job.progress && job.progress.frame >= 3 && job.progress.frame < FRAMES - 4));
      a.child.kill('SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');
      const jobs = await allCompleted(queue, ids);
      polling = false;
      await poller;

      for (const job of jobs) expectSameAsLocal(job.outDir, path.basename(job.file, '.json'));
      const resumed = jobs.find((job) => job.id === victim.id)!;
      expect(resumed.worker).toBe('worker-b');
      // worker-b continued from the journal, keeping the frames worker-a had made.
      expect(resumed.progress?.reused).toBeGreaterThan(0);
      const history = lockHistory(resumed.outDir);
      expect(history.find((event) => event.event === 'took-over')?.from?.pid).toBe(a.child.pid);

      // A report of a render under way, frames made in this attempt (a resumed job starts with no speed yet).
      const reported = statusRuns.flatMap((stdout) => JSON.parse(stdout) as JobStatus[]).filter((job) => job.state === 'active' && typeof job.progress?.secondsPerFrame === 'number');
      expect(reported.length).toBeGreaterThan(0);
      expect(reported[0].progress).toMatchObject({ phase: 'rendering', frames: FRAMES, etaSeconds: expect.any(Number) });
      expect(reported[0].progress!.frame).toBeGreaterThanOrEqual(0);
      expect(reported[0].progress!.lastFrameFile).toMatch(/frames\/\d{9}\.png$/);
    } finally {
      await queue.close();
    }
  }, 240_000);

  it('a Redis restart (persistence on) during a run: the worker reconnects, the completed job stays, every job completes, identical', async () => {
    redis = await RedisServer.start({ persistent: true });
    const out = path.join(dir, 'farm2');
    const ids = await queueAdd(out, 'a', 'b');
    let queue = await openQueue();
    worker('worker-r');
    const [completed] = await waitFor('one job completed and the other under way', async () => {
      const jobs = await queue.status();
      const done = jobs.find((job) => job.state === 'completed');
      return done && jobs.some((job) => job.state === 'active' && job.progress && job.progress.frame >= 2) ? [done] : undefined;
    });
    await queue.close();
    await redis.restart();
    queue = await openQueue();
    try {
      expect(await byId(queue, completed.id)).toEqual(completed);
      const jobs = await allCompleted(queue, ids);
      for (const job of jobs) expectSameAsLocal(job.outDir, path.basename(job.file, '.json'));
    } finally {
      await queue.close();
    }
  }, 180_000);

  it('cancel stops a render within a frame, retry continues it; SIGTERM hands a job back and exits 143; the result is identical', async () => {
    redis = await RedisServer.start();
    const out = path.join(dir, 'farm3');
    const [id] = await queueAdd(out, 'd');
    const queue = await openQueue();
    try {
      const first = worker('worker-1');
      await waitFor('a render under way', async () => {
        const job = await byId(queue, id);
        return job.state === 'active' && job.progress && job.progress.frame >= 1 ? job : undefined;
      });
      const cancel = await runCliAsync(['queue', 'cancel', id, '--redis', redis.url]);
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toBe(`job ${id}: its worker stops after the current frame\n`);
      const atCancel = (await byId(queue, id)).progress!.frame;
      const cancelled = await waitFor('the job to stop', async () => {
        const job = await byId(queue, id);
        return job.state === 'failed' ? job : undefined;
      });
      expect(cancelled.error).toMatch(/^cancelled \(stopped after frame \d+\); '.*queue retry \d+' continues it$/);
      const kept = journalFrames(cancelled.outDir).length;
      // At most the frame being made when the request was seen is written after it (the progress read may lag one).
      expect(kept).toBeLessThanOrEqual(atCancel + 3);
      expect(kept).toBeLessThan(24);

      const retry = await runCliAsync(['queue', 'retry', id, '--redis', redis.url]);
      expect(retry.code, retry.stderr).toBe(0);
      await waitFor('the retried job to render', async () => {
        const job = await byId(queue, id);
        return job.state === 'active' && job.progress && job.progress.frame > kept ? job : undefined;
      });
      first.child.kill('SIGTERM');
      expect(await first.exited).toEqual({ code: 143, signal: null });
      expect(first.output()).toMatch(/handed back to the queue/);
      const handedBack = await byId(queue, id);
      expect(['waiting', 'prioritized']).toContain(handedBack.state);
      expect(handedBack.attemptsMade).toBe(0);

      worker('worker-2');
      const [done] = await allCompleted(queue, [id]);
      expect(done.worker).toBe('worker-2');
      expect(done.progress?.reused).toBeGreaterThan(kept);
      expectSameAsLocal(done.outDir, 'd');
    } finally {
      await queue.close();
    }
  }, 180_000);

  it('a job with bad input fails at once with the message deforum render gives, and is not retried', async () => {
    redis = await RedisServer.start();
    const bad = animationFile(dir, tiny(5, { model: path.join(path.dirname(TEST_MODEL), 'no-such-model') }), 'bad.json');
    const render = await runCliAsync(['render', bad, '--out', path.join(dir, 'local', 'bad'), '--device', 'cpu']);
    expect(render.code).toBe(2);
    const message = render.stderr.trim().replace(/^deforum: /, '');
    files.bad = bad;
    const [id] = await queueAdd(path.join(dir, 'farm4'), 'bad');
    const queue = await openQueue();
    try {
      worker('worker-x');
      const failed = await waitFor('the job to fail', async () => {
        const job = await byId(queue, id);
        return job.state === 'failed' ? job : undefined;
      });
      expect(failed.error).toBe(message);
      expect(failed.attemptsMade).toBe(1);
      const status = await runCliAsync(['queue', 'status', '--redis', redis.url]);
      expect(status.stdout).toContain(`${id}  failed  bad  worker-x  error after 1 attempt: ${message}`);
    } finally {
      await queue.close();
    }
  }, 120_000);
});
