import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, repoRoot } from '../helpers.js';

/**
 * A real `redis-server` (Debian's) for one test file: 127.0.0.1 on a free port, its data in a temp folder, append-only
 * persistence with an fsync per write when asked, so a restart keeps every job. Stopped with the test.
 */
export class RedisServer {
  private process?: ChildProcess;
  private log = '';

  private constructor(readonly port: number, readonly dir: string, readonly persistent: boolean) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: { persistent?: boolean } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(path.join(os.tmpdir(), 'deforum-redis-')), options.persistent === true);
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    const persistence = this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...persistence], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.setEncoding('utf8').on('data', (text: string) => (this.log += text));
    this.process.stderr!.setEncoding('utf8').on('data', (text: string) => (this.log += text));
    for (let i = 0; i < 100; i++) {
      if (await answersPing(this.port)) return;
      if (this.process.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`redis-server did not start on port ${this.port}:\n${this.log}`);
  }

  /** Stops the server as an administrator would (SIGTERM: it finishes its writes), then starts it on the same port and data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

/** A `deforum worker` process: its stderr as it comes, and how it ended. */
export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `deforum worker` on the CPU; `--lock-seconds` short so a killed worker's job moves on within seconds, yet
 * long enough that a live worker on a crowded machine (a model load blocks its event loop for about a second here,
 * several times that with other tests beside it) keeps renewing its hold.
 */
export function startWorkerProcess(url: string, name: string, extra: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [cliPath, 'worker', '--redis', url, '--device', 'cpu', '--name', name, '--lock-seconds', '8', ...extra], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { name, child, output: () => output, exited };
}

/** Kills what is still running (SIGKILL), for `afterAll`. */
export async function killAll(workers: WorkerProcess[]): Promise<void> {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
}

/** Polls `check` every `everyMs` until it returns a value (not undefined), or throws after `timeoutMs` saying `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The journal's frame lines (frame, png hash) of a render folder. */
export function journalFrames(outDir: string): Array<{ frame: number; png: string }> {
  return readFileSync(path.join(outDir, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type?: string; frame?: number; png?: string })
    .filter((entry) => entry.type !== 'render')
    .map((entry) => ({ frame: entry.frame!, png: entry.png! }));
}

export interface LockEvent {
  event: 'acquired' | 'took-over' | 'released';
  pid: number;
  host: string;
  at: string;
  from?: { pid: number; host: string };
}

export function lockHistory(outDir: string): LockEvent[] {
  return readFileSync(path.join(outDir, 'lock-history.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as LockEvent);
}

/**
 * The ways a lock history shows two holders at once: a take or take-over while another process holds the lock, or a
 * take-over of anyone but the holder. Empty when each holder released (or died and was taken over from) before the next.
 */
export function overlappingHolders(events: LockEvent[]): string[] {
  const problems: string[] = [];
  let holder: number | undefined;
  for (const [i, event] of events.entries()) {
    if (event.event === 'acquired') {
      if (holder !== undefined) problems.push(`line ${i + 1}: pid ${event.pid} took the lock while pid ${holder} held it`);
      holder = event.pid;
    } else if (event.event === 'took-over') {
      if (event.from?.pid !== holder) problems.push(`line ${i + 1}: pid ${event.pid} took over from pid ${event.from?.pid}, but pid ${holder} held it`);
      holder = event.pid;
    } else {
      if (event.pid !== holder) problems.push(`line ${i + 1}: pid ${event.pid} released a lock held by pid ${holder}`);
      holder = undefined;
    }
  }
  return problems;
}
