import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { animationFile, tempDir } from '../render/render-fixture.js';
import { killAll, RedisServer, startWorkerProcess, waitFor, type WorkerProcess } from './farm-fixture.js';

/** The queue commands' answers to what a user gets wrong, and the lifecycle of a job cancelled before it started. */
let redis: RedisServer;
const workers: WorkerProcess[] = [];
let dir: string;

beforeAll(async () => {
  redis = await RedisServer.start();
  dir = tempDir('deforum-queue-cli-');
});

afterAll(async () => {
  await killAll(workers);
  await redis.stop();
});

const queue = (...args: string[]) => runCli(['queue', ...args, '--redis', redis.url]);

describe('deforum queue', () => {
  it('says in one line that Redis is not there, and how to start it (exit 1)', async () => {
    const down = await RedisServer.start();
    const url = down.url;
    await down.stop();
    const run = runCli(['queue', 'status', '--redis', url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`deforum: cannot reach Redis at ${url} (ECONNREFUSED); start one with 'redis-server' (see the README's render farm section) or pass --redis\n`);
  });

  it('refuses a --redis that is not a Redis URL, and a keyframe file that does not validate, queueing nothing (exit 2)', () => {
    const file = animationFile(dir, { frames: 6 }, 'ok.json');
    const badUrl = runCli(['queue', 'add', file, '--redis', 'http://127.0.0.1:6379']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toBe('deforum: --redis: http://127.0.0.1:6379: expected redis://HOST:PORT or rediss://HOST:PORT\n');

    const bad = animationFile(dir, { frames: 0 }, 'bad.json');
    const refused = queue('add', file, bad, '--out', path.join(dir, 'farm'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^deforum: .*bad\.json:\d+:\d+: frames: /);
    expect(queue('status').stdout).toBe('no jobs\n');

    const twin = animationFile(dir, { frames: 6, name: 'ok' }, 'other.json');
    const clash = queue('add', file, twin, '--out', path.join(dir, 'farm'));
    expect(clash.code).toBe(2);
    expect(clash.stderr).toBe(`deforum: ${twin} and ${file} would both render into ${path.join(dir, 'farm', 'ok')}; give one a different "name"\n`);
  });

  it('names a job that is not there', () => {
    for (const command of ['cancel', 'retry']) {
      const run = queue(command, '999');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^deforum: no job 999 in the queue \('.*queue status' lists them\)\n$/);
    }
  });

  it('a job cancelled before it started is failed by the worker that takes it, unrendered; clean removes it', async () => {
    const file = animationFile(dir, { frames: 6, width: 64, height: 64 }, 'later.json');
    const added = queue('add', file, '--out', path.join(dir, 'farm'));
    expect(added.code, added.stderr).toBe(0);
    const id = added.stdout.trim();
    expect(queue('cancel', id).stdout).toBe(`job ${id}: cancelled; no worker will render it\n`);
    expect(queue('status').stdout).toMatch(new RegExp(`^${id}  (waiting|prioritized) \\(cancel requested\\)  later  -  \n$`));
    workers.push(startWorkerProcess(redis.url, 'worker-c'));
    await waitFor('the job to fail', () => (/failed/.test(queue('status').stdout) ? true : undefined), 60_000, 500);
    expect(queue('status').stdout).toMatch(new RegExp(`^${id}  failed  later  worker-c  error after 1 attempt: cancelled before it started; '.*queue retry ${id}' queues it again\n$`));
    expect(existsSync(path.join(dir, 'farm', 'later', 'frames'))).toBe(false);
    const retriedCompleted = queue('cancel', id);
    expect(retriedCompleted.stderr).toBe(`deforum: job ${id} is failed; there is nothing to cancel\n`);
    expect(queue('clean').stdout).toBe('removed 1 job\n');
    expect(queue('status').stdout).toBe('no jobs\n');
  }, 90_000);
});
