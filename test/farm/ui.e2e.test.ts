import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FarmQueue } from '../../src/farm/queue-client.js';
import { cliPath, repoRoot } from '../helpers.js';
import { animationFile, runCliAsync, tempDir } from '../render/render-fixture.js';
import { killAll, RedisServer, startWorkerProcess, waitFor, type WorkerProcess } from './farm-fixture.js';

/** `deforum queue ui` checked as a person sees it: Debian's chromium, headless, loads the page and its script runs. */
const workers: WorkerProcess[] = [];
let redis: RedisServer | undefined;
let ui: ReturnType<typeof spawn> | undefined;

afterAll(async () => {
  ui?.kill('SIGKILL');
  await killAll(workers);
  await redis?.stop();
});

/** The page's DOM after its script has fetched the jobs (chromium's virtual time runs the timers without waiting). */
function pageDom(url: string): string {
  const run = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000', '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

describe('deforum queue ui', () => {
  it('shows each job with its state and worker, and the last frame of a render', async () => {
    redis = await RedisServer.start();
    const dir = tempDir('deforum-farm-ui-');
    const tiny = { width: 64, height: 64, frames: 4, steps: 4 };
    const out = path.join(dir, 'farm');
    const add = async (file: string) => {
      const run = await runCliAsync(['queue', 'add', file, '--redis', redis!.url, '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      return run.stdout.trim();
    };
    const done = await add(animationFile(dir, { ...tiny, seed: 1 }, 'sunrise.json'));
    const worker = startWorkerProcess(redis.url, 'gpu-box-1');
    workers.push(worker);
    const queue = await FarmQueue.open(redis.url);
    try {
      await waitFor('the first job to complete', async () => ((await queue.job(done)).status.state === 'completed' ? true : undefined));
    } finally {
      await queue.close();
    }
    worker.child.kill('SIGTERM');
    await worker.exited;
    const waiting = await add(animationFile(dir, { ...tiny, seed: 2 }, 'sunset.json'));

    ui = spawn(process.execPath, [cliPath, 'queue', 'ui', '--port', '0', '--redis', redis.url], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve) => ui!.stdout!.setEncoding('utf8').on('data', (text: string) => resolve(text.trim())));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const dom = pageDom(url);
    expect(dom).toMatch(new RegExp(`<tr id="job-${done}" data-state="completed"><td>${done}</td><td>sunrise</td><td class="completed">completed</td><td>gpu-box-1</td>`));
    expect(dom).toMatch(new RegExp(`<tr id="job-${waiting}" data-state="(waiting|prioritized)"><td>${waiting}</td><td>sunset</td>`));
    expect(dom).toContain('2 jobs: 1 completed, 1 prioritized');
    const src = new RegExp(`<img alt="frame 3 of job ${done}" src="([^"]+)">`).exec(dom)?.[1];
    expect(src).toBeDefined();
    const frame = await fetch(new URL(src!, url));
    expect(frame.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await frame.arrayBuffer()).equals(readFileSync(path.join(out, 'sunrise', 'frames', '000000003.png')))).toBe(true);
    // Only the frame a job's progress names is served: nothing else from the disk.
    expect((await fetch(new URL('/jobs/../../etc/passwd', url))).status).toBe(404);
    expect((await fetch(new URL(`/jobs/${waiting}/last-frame.png`, url))).status).toBe(404);
  }, 120_000);
});
