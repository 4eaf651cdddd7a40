import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnimationSchema } from '../../src/keyframes/schema.js';
import type { RenderFs } from '../../src/render/durable-fs.js';
import { nodeFs } from '../../src/render/durable-fs.js';
import { renderAnimation } from '../../src/render/run.js';
import { runCli } from '../helpers.js';
import { animationFile, frameBytes, jsonEvents, runCliAsync, tempDir } from './render-fixture.js';

type CliRunSync = ReturnType<typeof runCli>;

/** Every file left in a render folder whose name marks it as temporary. */
function tempFiles(outDir: string): string[] {
  return [outDir, path.join(outDir, 'frames')].flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.includes('.tmp-') || n.endsWith('.partial')) : []));
}

const render = (file: string, outDir: string, ...extra: string[]) => runCliAsync(['render', file, '--out', outDir, '--device', 'cpu', '--json', ...extra]);

/** CRC-32 of PNG chunks (ISO 3309, as the PNG specification defines it). */
function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** A valid PNG of other pixels (flat grey) with exactly `size` bytes: padded with a tEXt chunk before IEND. */
async function otherPixelsOfSize(size: number, width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width, height, channels: 3, background: '#808080' } }).png().toBuffer();
  const text = Buffer.concat([Buffer.from('Comment\0'), Buffer.alloc(size - png.length - 12 - 8, 0x20)]);
  const body = Buffer.concat([Buffer.from('tEXt'), text]);
  const chunk = Buffer.alloc(12 + text.length);
  chunk.writeUInt32BE(text.length, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), 8 + text.length);
  const padded = Buffer.concat([png.subarray(0, png.length - 12), chunk, png.subarray(png.length - 12)]);
  expect(padded.length).toBe(size);
  return padded;
}

/** A finished render cut back to its first `frames` frames, as a render stopped there leaves it. */
function cutBack(outDir: string, frames: number): void {
  const journal = path.join(outDir, 'journal.jsonl');
  writeFileSync(journal, `${readFileSync(journal, 'utf8').split('\n').slice(0, frames + 1).join('\n')}\n`);
  for (const name of readdirSync(path.join(outDir, 'frames'))) if (Number.parseInt(name, 10) >= frames) rmSync(path.join(outDir, 'frames', name));
}

/** Every file of a folder (recursively) → its bytes. */
function folderBytes(dir: string): Map<string, Buffer> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => statSync(path.join(dir, name)).isFile());
  return new Map(files.sort().map((name) => [name, readFileSync(path.join(dir, name))]));
}

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

  it('re-renders from a truncated middle frame on, saying which and why, and the frames equal an uninterrupted render', async () => {
    const outDir = path.join(dir, 'truncated-middle');
    expect((await render(file, outDir)).code).toBe(0);
    const third = path.join(outDir, 'frames', '000000003.png');
    const size = readFileSync(third).length;
    truncateSync(third, 100);
    const resumed = await runCliAsync(['resume', outDir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr.split('\n')).toContain(`keeping frames 0-2; frame 3 is damaged (100 bytes on disk, ${size} in the journal): re-rendering frames 3-7`);
    expect(frameBytes(outDir)).toEqual(reference);
    expect((await runCliAsync(['verify', outDir])).code).toBe(0);
  }, 300_000);

  it('re-renders everything when frame 0, the colour reference, was replaced with other pixels, of another size or the same', async () => {
    const outDir = path.join(dir, 'replaced-first');
    expect((await render(file, outDir)).code).toBe(0);
    const first = path.join(outDir, 'frames', '000000000.png');
    const original = readFileSync(first);
    writeFileSync(first, await otherPixelsOfSize(original.length + 1, 128, 128));
    const resized = await runCliAsync(['resume', outDir, '--json']);
    expect(resized.code, resized.stderr).toBe(0);
    expect(jsonEvents(resized.stdout).find((e) => e.type === 'start')?.message).toBe(
      `keeping no frames; frame 0 is damaged (${original.length + 1} bytes on disk, ${original.length} in the journal): re-rendering frames 0-7`,
    );
    expect(frameBytes(outDir)).toEqual(reference);

    writeFileSync(first, await otherPixelsOfSize(original.length, 128, 128));
    const sameSize = await runCliAsync(['resume', outDir]);
    expect(sameSize.code, sameSize.stderr).toBe(0);
    expect(sameSize.stderr.split('\n')).toContain(
      'keeping no frames; frame 0 was modified on disk (its sha256 is not the one in the journal), and the frames after it are made from its pixels: re-rendering frames 0-7',
    );
    expect(frameBytes(outDir)).toEqual(reference);
  }, 300_000);

  it('checks the frame it continues from (the cadence carry) and goes back a group when it was modified', async () => {
    const outDir = path.join(dir, 'replaced-carry');
    expect((await render(file, outDir)).code).toBe(0);
    cutBack(outDir, 6);
    const carry = path.join(outDir, 'frames', '000000005.png');
    writeFileSync(carry, await otherPixelsOfSize(readFileSync(carry).length, 128, 128));
    const resumed = await runCliAsync(['resume', outDir, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const start = jsonEvents(resumed.stdout).find((e) => e.type === 'start');
    expect(start).toMatchObject({ reused: 5 });
    expect(String(start?.message)).toMatch(/^keeping frames 0-4; frame 5 was modified on disk .*: re-rendering frames 5-7$/);
    expect(frameBytes(outDir)).toEqual(reference);
  }, 300_000);

  it('--frames A-B: A can be any frame up to the first one not rendered, with cadence too, and the message says the rule', async () => {
    const outDir = path.join(dir, 'ranges');
    expect((await render(file, outDir, '--frames', '0-4')).code).toBe(0);
    const gap = await runCliAsync(['render', file, '--out', outDir, '--device', 'cpu', '--frames', '6-7']);
    expect(gap.code).toBe(2);
    expect(gap.stderr.split('\n').filter((line) => line.startsWith('deforum: '))).toEqual(['deforum: --frames 6-7: frames 0-4 are rendered, and each frame is made from the one before; start at frame 5 or earlier']);
    const next = await render(file, outDir, '--frames', '5-7');
    expect(next.code, next.stderr).toBe(0);
    expect(jsonEvents(next.stdout).find((e) => e.type === 'start')).toMatchObject({ first: 5, message: 'resuming: frames 0-4 are done, continuing at frame 5' });
    expect(jsonEvents(next.stdout).filter((e) => e.type === 'frame').map((e) => e.frame)).toEqual([5, 6, 7]);
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
    expect(refused.stderr).toMatch(new RegExp(`is in use by process ${holder.pid} on .*deforum render anim.json\\); wait for it to finish or stop it first`));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.on('close', resolve));
    const takeover = await render(file, outDir);
    expect(takeover.code, takeover.stderr).toBe(0);
    expect(existsSync(path.join(outDir, 'render.lock'))).toBe(false);
  }, 300_000);

  it('holds the lock until the video is written: a second render and verify are refused while it encodes', async () => {
    const dir = tempDir();
    const outDir = path.join(dir, 'out');
    const file = animationFile(dir, { frames: 2 });
    const animation = AnimationSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    const atVideo: Array<{ lock: boolean; video: boolean; second: CliRunSync; verify: CliRunSync }> = [];
    await renderAnimation({
      animation,
      source: file,
      outDir,
      device: 'cpu',
      onEvent: (event) => {
        if (event.type !== 'video') return;
        // Synchronously, inside the render: it is still in the step that made the video.
        atVideo.push({
          lock: existsSync(path.join(outDir, 'render.lock')),
          video: existsSync(event.file),
          second: runCli(['render', file, '--out', outDir, '--device', 'cpu']),
          verify: runCli(['verify', outDir]),
        });
      },
    });
    expect(atVideo).toHaveLength(1);
    const [seen] = atVideo;
    expect(seen).toMatchObject({ lock: true, video: true });
    expect(seen.second.code).toBe(2);
    expect(seen.second.stderr).toMatch(new RegExp(`^deforum: .*out is in use by process ${process.pid} on `, 'm'));
    expect(seen.verify.code).toBe(2);
    expect(seen.verify.stderr).toMatch(new RegExp(`^deforum: .*out is in use by process ${process.pid} on `, 'm'));
    expect(existsSync(path.join(outDir, 'render.lock'))).toBe(false);
  }, 300_000);

  it('verify takes the lock and changes nothing: refused while a render holds it, and a torn journal stays as it is', async () => {
    const dir = tempDir();
    const outDir = path.join(dir, 'out');
    const file = animationFile(dir, { frames: 2 });
    expect((await render(file, outDir)).code).toBe(0);
    appendFileSync(path.join(outDir, 'journal.jsonl'), '{"type":"frame","frame":2,"jo');
    const before = folderBytes(outDir);
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)']);
    writeFileSync(path.join(outDir, 'render.lock'), JSON.stringify({ pid: holder.pid, host: os.hostname(), startedAt: 'now', command: 'deforum render anim.json' }));
    const refused = await runCliAsync(['verify', outDir]);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.on('close', resolve));
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(new RegExp(`^deforum: .*out is in use by process ${holder.pid} on .*; wait for it to finish or stop it first$`));
    rmSync(path.join(outDir, 'render.lock'));
    const verified = await runCliAsync(['verify', outDir]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/all 2 journalled frames match/);
    expect(folderBytes(outDir)).toEqual(before);
  }, 300_000);

  it('refuses a render folder whose frames/ is a file, whose journal.jsonl or settings.json is a FIFO, or whose journal.jsonl or a frame is a folder: one line, exit 2, nothing touched', async () => {
    const dir = tempDir();
    const file = animationFile(dir, { frames: 2 });
    const cases: Array<[string, (outDir: string) => void, RegExp]> = [
      ['frames-file', (outDir) => { rmSync(path.join(outDir, 'frames'), { recursive: true }); writeFileSync(path.join(outDir, 'frames'), 'not frames'); }, /frames is not a folder, but this render keeps its frames in a folder there; move it away or choose another render folder$/],
      ['frame-folder', (outDir) => { rmSync(path.join(outDir, 'frames', '000000001.png')); mkdirSync(path.join(outDir, 'frames', '000000001.png')); }, /frames\/000000001\.png is a folder, but this render keeps a frame there; move it away or choose another render folder$/],
      ['journal-fifo', (outDir) => { rmSync(path.join(outDir, 'journal.jsonl')); expect(spawnSync('mkfifo', [path.join(outDir, 'journal.jsonl')]).status).toBe(0); }, /journal\.jsonl is not a regular file, but this render keeps a file there; move it away or choose another render folder$/],
      ['settings-fifo', (outDir) => { rmSync(path.join(outDir, 'settings.json')); expect(spawnSync('mkfifo', [path.join(outDir, 'settings.json')]).status).toBe(0); }, /settings\.json is not a regular file/],
      ['journal-folder', (outDir) => { rmSync(path.join(outDir, 'journal.jsonl')); mkdirSync(path.join(outDir, 'journal.jsonl')); }, /journal\.jsonl is a folder, but this render keeps a file there; move it away or choose another render folder$/],
    ];
    for (const [name, damage, message] of cases) {
      const outDir = path.join(dir, name);
      expect((await render(file, outDir)).code).toBe(0);
      damage(outDir);
      const before = folderBytes(outDir);
      for (const args of [['render', file, '--out', outDir, '--device', 'cpu'], ['resume', outDir], ['verify', outDir]]) {
        const run = await runCliAsync(args);
        expect(run.code, `${args[0]}: ${run.stderr}`).toBe(2);
        const errors = run.stderr.split('\n').filter((line) => line.startsWith('deforum: '));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(message);
        expect(folderBytes(outDir)).toEqual(before);
      }
    }
  }, 300_000);
});
