import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../src/cli/progress.js';

/** A terminal as the reporter sees one: a stream with isTTY, whose writes we keep. */
function terminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream & PassThrough;
  const writes: string[] = [];
  stream.on('data', (chunk: Buffer) => writes.push(chunk.toString()));
  return { stream, writes };
}

const start = { type: 'start', name: 'demo', outDir: '/tmp/demo', frames: 10, first: 0, last: 9, device: 'cpu', reused: 0 } as const;
const frame = (n: number, seconds: number) => ({ type: 'frame', frame: n, frames: 10, seconds, samplerSeconds: seconds, diffused: true, file: `${n}.png` }) as const;

describe('the live progress line', () => {
  it('keeps seconds per frame and the ETA while the next frame samples', async () => {
    const { stream, writes } = terminal();
    const progress = createProgressReporter({ json: false, stderr: stream, env: { NO_COLOR: '1' } });
    progress.report(start);
    progress.report({ type: 'step', frame: 0, step: 1, steps: 4 });
    progress.report(frame(0, 2));
    progress.report(frame(1, 4));
    progress.report({ type: 'step', frame: 2, step: 3, steps: 4 });
    await new Promise((resolve) => setImmediate(resolve));
    const live = writes.filter((text) => text.startsWith('\r'));
    expect(live[0]).toBe('\r\x1b[2Kframe 0 (1/10) · step 1/4 · cpu');
    expect(live.at(-2)).toBe('\r\x1b[2Kframe 1 (2/10) 4.00 s/frame · ETA 24s · cpu');
    expect(live.at(-1)).toBe('\r\x1b[2Kframe 2 (3/10) · step 3/4 · 4.00 s/frame · ETA 24s · cpu');
  });
});

describe("the model's notes", () => {
  const notes = async (verbose: boolean) => {
    const { stream, writes } = terminal();
    const progress = createProgressReporter({ json: false, stderr: stream, env: { NO_COLOR: '1' }, verbose });
    progress.log('device webgpu skipped: no GPU device found', 'detail');
    progress.log('warning: device cuda failed (x); falling back to cpu');
    progress.log('device: cpu');
    await new Promise((resolve) => setImmediate(resolve));
    return writes.join('');
  };

  it('devices skipped under auto only with --verbose; warnings and the device always', async () => {
    expect(await notes(false)).toBe('warning: device cuda failed (x); falling back to cpu\ndevice: cpu\n');
    expect(await notes(true)).toBe('device webgpu skipped: no GPU device found\nwarning: device cuda failed (x); falling back to cpu\ndevice: cpu\n');
  });
});
