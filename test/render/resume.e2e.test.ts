import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnimationSchema } from '../../src/keyframes/schema.js';
import type { RenderFs } from '../../src/render/durable-fs.js';
import { nodeFs } from '../../src/render/durable-fs.js';
import { renderAnimation } from '../../src/render/run.js';
import { animationFile, frameBytes, jsonEvents, runCliAsync, tempDir } from './render-fixture.js';

/** Every file left in a render folder whose name marks it as temporary. */
function tempFiles(outDir: string): string[] {
  return [outDir, path.join(outDir, 'frames')].flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.includes('.tmp-') || n.endsWith('.partial')) : []));
}

const render = (file: string, outDir: string, ...extra: string[]) => runCliAsync(['render', file, '--out', outDir, '--device', 'cpu', '--json', ...extra]);

describe('resume after crashes', () => {
  let dir: string;
  let file: string;
  let reference: Map<string, Buffer>;

  beforeAll(async () => {
    dir = tempDir();
    file = animationFile(dir);
    const run = await render(file, path.join(dir, 'reference'));
    expect(run.stderr).not.toMatch(/deforum: /);
    expect(run.code).toBe(0);
    reference = frameBytes(path.join(dir, 'reference'));
    expect(reference.size).toBe(8);
  });

  it('gives byte-identical frames after SIGKILLs at random moments and inside frame writes and journal commits', async () => {
    const outDir = path.join(dir, 'crashed');
    // Deterministic crash points, each the n-th write step of a run (a temporary file written, a file renamed into
    // place, half a journal line): settings.json is written first, then each frame (write, rename, journal append), so
    // these hit every run while frames remain and make at most one frame of progress each. Then kills at random
    // moments after a run has finished a frame. Each run continues where the previous one died.
    const plans: Array<{ env?: string; random?: boolean }> = [];
    for (let round = 0; round < 4; round++) {
      for (const env of ['write:1', 'rename:1', 'write:2', 'rename:2', 'append:1', 'append:2']) plans.push({ env });
    }
    for (let i = 0; i < 6; i++) plans.push({ random: true });
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let kills = 0;
    for (const plan of plans) {
      let armed = false;
      const run = await runCliAsync(['render', file, '--out', outDir, '--device', 'cpu', '--json'], {
        env: plan.env ? { DEFORUM_CRASH_AT: plan.env } : {},
        onOutput: (text, child) => {
          if (plan.random && !armed && text.includes('"type":"frame"')) {
            armed = true;
            setTimeout(() => child.kill('SIGKILL'), Math.floor(random() * 400));
          }
        },
      });
      if (run.signal === 'SIGKILL') kills += 1;
      else expect(run.code, run.stderr).toBe(0);
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    const last = await runCliAsync(['resume', outDir, '--json']);
    expect(last.code, last.stderr).toBe(0);
    expect(frameBytes(outDir)).toEqual(reference);
    expect(tempFiles(outDir)).toEqual([]);
    const verify = await runCliAsync(['verify', outDir]);
    expect(verify.code).toBe(0);
  }, 600_000);

  it('stops with a clear message on a failed write at every write step, loses nothing, and resumes exactly', async () => {
    const outDir = path.join(dir, 'enospc');
    const animation = AnimationSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    // Fail the n-th write step (open for writing, write, flush, rename) with ENOSPC, for n = 1, 2, …
    const failing = (n: number): RenderFs => {
      let calls = 0;
      const step = () => {
        calls += 1;
        if (calls === n) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      };
      return {
        ...nodeFs,
        async open(f, flags) {
          if (flags === 'r') return nodeFs.open(f, flags);
          step();
          const handle = await nodeFs.open(f, flags);
          const writeFile = handle.writeFile.bind(handle);
          const sync = handle.sync.bind(handle);
          handle.writeFile = (async (data: string | Uint8Array) => {
            step();
            return writeFile(data);
          }) as typeof handle.writeFile;
          handle.sync = async () => {
            step();
            return sync();
          };
          return handle;
        },
        async rename(from, to) {
          step();
          return nodeFs.rename(from, to);
        },
      };
    };
    const messages = new Set<string>();
    for (let n = 1; n <= 31; n += 5) {
      try {
        await renderAnimation({ animation, source: file, outDir, device: 'cpu', fs: failing(n) });
      } catch (error) {
        messages.add((error as Error).message.replace(/frames 0-\d+ are safe|no frame is finished yet|frames already rendered are untouched/, 'SAFE'));
      }
    }
    for (const message of messages) expect(message).toMatch(/cannot write to .*: the disk is full \(ENOSPC\); SAFE; fix it, then run: (npx )?deforum resume/);
    expect(messages.size).toBeGreaterThan(0);
    await renderAnimation({ animation, source: file, outDir, device: 'cpu' });
    expect(frameBytes(outDir)).toEqual(reference);
    expect(tempFiles(outDir)).toEqual([]);
  }, 600_000);

  it('re-renders a truncated last frame and finds a tampered frame with verify', async () => {
    const outDir = path.join(dir, 'corrupt');
    expect((await render(file, outDir)).code).toBe(0);
    const last = path.join(outDir, 'frames', '000000007.png');
    truncateSync(last, 100);
    const resumed = await runCliAsync(['resume', outDir, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonEvents(resumed.stdout).find((e) => e.type === 'start')).toMatchObject({ reused: 7 });
    expect(frameBytes(outDir)).toEqual(reference);

    const third = path.join(outDir, 'frames', '000000003.png');
    const bytes = readFileSync(third);
    bytes[bytes.length - 20] ^= 0xff;
    writeFileSync(third, bytes);
    const verify = await runCliAsync(['verify', outDir]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/frame 3: modified/);
    const repaired = await runCliAsync(['resume', outDir, '--verify', '--json']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(frameBytes(outDir)).toEqual(reference);
  }, 300_000);
});

describe('edits, identity and locks', () => {
  it('re-renders only from the first frame whose job changed, and says so', async () => {
    const dir = tempDir();
    const outDir = path.join(dir, 'out');
    const file = animationFile(dir);
    expect((await render(file, outDir)).code).toBe(0);
    const before = frameBytes(outDir);
    animationFile(dir, { prompts: { '0': 'a red circle on a blue background', '4': 'a yellow square on a green background --neg purple', '6': 'a white star on a black background' } });
    const edited = await render(file, outDir);
    expect(edited.code, edited.stderr).toBe(0);
    const start = jsonEvents(edited.stdout).find((e) => e.type === 'start');
    expect(start).toMatchObject({ reused: 6 });
    expect(String(start?.message)).toMatch(/keeping frames 0-5; frame 6 changed/);
    const after = frameBytes(outDir);
    for (const name of [...before.keys()].slice(0, 6)) expect(after.get(name)).toEqual(before.get(name));
    expect(jsonEvents(edited.stdout).filter((e) => e.type === 'frame').map((e) => e.frame)).toEqual([6, 7]);
  }, 300_000);

  it('refuses a changed model or device, or another file, without --force', async () => {
    const dir = tempDir();
    const outDir = path.join(dir, 'out');
    const file = animationFile(dir, { frames: 2 });
    expect((await render(file, outDir)).code).toBe(0);
    const journal = path.join(outDir, 'journal.jsonl');
    const lines = readFileSync(journal, 'utf8').split('\n');
    writeFileSync(journal, [JSON.stringify({ ...JSON.parse(lines[0]), device: 'cuda' }), ...lines.slice(1)].join('\n'));
    const refused = await render(file, outDir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/its device was cuda, now cpu; add --force/);
    const other = animationFile(dir, { frames: 2 }, 'other.json');
    const otherFile = await render(other, outDir, '--force');
    expect(otherFile.code, otherFile.stderr).toBe(0);
    expect(jsonEvents(otherFile.stdout).find((e) => e.type === 'start')).toMatchObject({ reused: 0 });
    const back = await render(file, outDir);
    expect(back.code).toBe(2);
    expect(back.stderr).toMatch(/it holds a render of .*other\.json, not .*anim\.json/);
  }, 300_000);

  it('refuses a second render into a folder in use, naming the process, and takes over a stale lock', async () => {
    const dir = tempDir();
    const outDir = path.join(dir, 'out');
    const file = animationFile(dir, { frames: 2 });
    mkdirSync(outDir, { recursive: true });
    // A live process holds the lock, as a render in progress does.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)']);
    writeFileSync(path.join(outDir, 'render.lock'), JSON.stringify({ pid: holder.pid, host: os.hostname(), startedAt: 'now', command: 'deforum render anim.json' }));
    const refused = await render(file, outDir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`is being rendered by process ${holder.pid} on .*deforum render anim.json\\); wait for it to finish or stop it first`));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.on('close', resolve));
    const takeover = await render(file, outDir);
    expect(takeover.code, takeover.stderr).toBe(0);
    expect(existsSync(path.join(outDir, 'render.lock'))).toBe(false);
  }, 300_000);
});
