import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers.js';

const torchRandn = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/torch-randn.json'), 'utf8')) as {
  cases: Array<{ seed: number; shape: number[]; sha256: string; values?: number[] }>;
};
const variationSeeds = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/a1111-variation-seeds.json'), 'utf8')) as {
  cases: Array<{ seed: number; subseed: number; strength: number; shape: number[]; seedResizeFrom?: { width: number; height: number }; noise: { numel: number; sha256: string; first: number[] } }>;
};
const sd1 = (JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/kdiffusion-sigmas.json'), 'utf8')) as {
  models: { sd1: { schedules: Record<string, { sigmas: number[]; timesteps: number[] }>; img2img: Array<{ steps: number; strength: number; exactSteps: boolean; scheduler: string; fullSteps: number; sigmas: number[] }> } };
}).models.sd1;

// runCli blocks the worker; yielding between tests lets vitest's RPC get through on a slow machine.
afterEach(() => new Promise((resolve) => setImmediate(resolve)));

function json(args: string[]): unknown {
  const r = runCli(args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('deforum debug noise', () => {
  it('prints torch.randn of the seed as float32 values that read back exactly', () => {
    const expected = torchRandn.cases.find((c) => c.seed === 42 && c.shape.join() === '33')!;
    const values = json(['debug', 'noise', '--seed', '42', '--shape', '33', '--json']) as number[];
    expect(values.map(Math.fround)).toEqual(expected.values);
  });

  it('gives the bytes of torch for a 1×4×64×64 latent', () => {
    const expected = torchRandn.cases.find((c) => c.seed === 4294967295 && c.shape.join() === '1,4,64,64')!;
    const values = json(['debug', 'noise', '--seed', '4294967295', '--shape', '1,4,64,64', '--json']) as number[];
    expect(values).toHaveLength(16384);
    const bytes = Buffer.from(Float32Array.from(values).buffer);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(expected.sha256);
  });

  it('prints the public check values of seed 0', () => {
    const values = json(['debug', 'noise', '--seed', '0', '--shape', '4', '--json']) as number[];
    expect(values).toEqual([1.5409961, -0.2934289, -2.1787894, 0.56843126]);
  });
});

describe('deforum debug noise with variation seeds (A1111 subseeds)', () => {
  const float32Sha256 = (values: number[]) => createHash('sha256').update(Buffer.from(Float32Array.from(values).buffer)).digest('hex');

  it.each([
    ['a 512×512 latent at strength 0.25', (c: (typeof variationSeeds.cases)[number]) => c.seed === 42 && c.subseed === 43 && c.shape.join() === '4,64,64'],
    ['strength 0.999 on a 13-wide latent', (c: (typeof variationSeeds.cases)[number]) => c.seed === 1234],
    ['the same seed twice (the linear fallback)', (c: (typeof variationSeeds.cases)[number]) => c.seed === 11],
    ['a seed resize from 128×96 px', (c: (typeof variationSeeds.cases)[number]) => c.seed === 0 && c.seedResizeFrom?.width === 128],
    ['a seed resize from 768×512 px onto 512×512', (c: (typeof variationSeeds.cases)[number]) => c.seed === 9 && c.seedResizeFrom?.width === 768],
  ])('prints the bytes of A1111 for %s', (_what, pick) => {
    const c = variationSeeds.cases.find(pick)!;
    const resize = c.seedResizeFrom ? ['--seed-resize-from', `${c.seedResizeFrom.width},${c.seedResizeFrom.height}`] : [];
    const args = ['debug', 'noise', '--seed', `${c.seed}`, '--subseed', `${c.subseed}`, '--subseed-strength', `${c.strength}`, ...resize, '--shape', `1,${c.shape.join(',')}`, '--json'];
    const values = json(args) as number[];
    expect(values).toHaveLength(c.noise.numel);
    expect(values.slice(0, 16).map(Math.fround)).toEqual(c.noise.first);
    expect(float32Sha256(values)).toBe(c.noise.sha256);
  });

  it('takes the shape without the batch too, and prints one value a line without --json', () => {
    const c = variationSeeds.cases.find((v) => v.seed === 0 && !v.seedResizeFrom)!;
    const r = runCli(['debug', 'noise', '--seed', '0', '--subseed', '1', '--subseed-strength', '0.5', '--shape', '4,8,8']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(256);
    expect(float32Sha256(lines.map(Number))).toBe(c.noise.sha256);
  });

  it("is the seed's own noise with a subseed at strength 0, or a seed resize from the latent's size", () => {
    const plain = json(['debug', 'noise', '--seed', '5', '--shape', '1,4,8,8', '--json']);
    expect(json(['debug', 'noise', '--seed', '5', '--subseed', '6', '--shape', '1,4,8,8', '--json'])).toEqual(plain);
    expect(json(['debug', 'noise', '--seed', '5', '--seed-resize-from', '64,64', '--shape', '1,4,8,8', '--json'])).toEqual(plain);
  });
});

describe('deforum debug sigmas', () => {
  it('prints the automatic schedule and the fractional UNet timesteps', () => {
    expect(json(['debug', 'sigmas', '--steps', '20', '--schedule', 'automatic', '--json'])).toEqual(sd1.schedules['automatic/20']);
  });

  it('prints Karras from 14.614643096923828', () => {
    const { sigmas } = json(['debug', 'sigmas', '--steps', '25', '--schedule', 'karras', '--json']) as { sigmas: number[] };
    expect(sigmas).toEqual(sd1.schedules['karras/25'].sigmas);
    expect(sigmas[0]).toBe(14.614643096923828);
  });

  it('uses the sampler\'s own schedule for automatic (DPM++ 2M: Karras)', () => {
    expect(json(['debug', 'sigmas', '--steps', '10', '--sampler', 'DPM++ 2M', '--json'])).toEqual(sd1.schedules['karras/10']);
  });

  it('prints only the part img2img runs with --strength: 11 steps from sigmas[9] at strength 0.5', () => {
    const full = sd1.schedules['automatic/20'];
    const { sigmas, timesteps } = json(['debug', 'sigmas', '--steps', '20', '--strength', '0.5', '--json']) as { sigmas: number[]; timesteps: number[] };
    expect(sigmas).toEqual(full.sigmas.slice(9));
    expect(timesteps).toEqual(full.timesteps.slice(9));
  });

  it('runs exactly the steps asked for with --exact-steps: 20 of a 40-step schedule', () => {
    const expected = sd1.img2img.find((e) => e.steps === 20 && e.strength === 0.5 && e.exactSteps && e.scheduler === 'automatic')!;
    const { sigmas } = json(['debug', 'sigmas', '--steps', '20', '--strength', '0.5', '--exact-steps', '--json']) as { sigmas: number[] };
    expect(expected.fullSteps).toBe(40);
    expect(sigmas).toHaveLength(21);
    expect(sigmas).toEqual(expected.sigmas);
  });

  it('prints DDIM\'s integer timesteps', () => {
    const { timesteps } = json(['debug', 'sigmas', '--steps', '5', '--sampler', 'ddim', '--json']) as { timesteps: number[] };
    expect(timesteps).toEqual([801, 601, 401, 201]);
  });
});

describe('deforum debug: bad input is one line and exit code 2', () => {
  it.each([
    [['noise', '--seed', '-1'], /--seed.*'-1'.*0 to 4294967295/],
    [['noise', '--seed', '12.5'], /--seed.*whole number/],
    [['noise', '--seed', '1', '--shape', '1,4,x'], /--shape.*'1,4,x'.*positive integers/],
    [['noise', '--seed', '1', '--shape', '4,0'], /--shape.*positive integers/],
    [['noise', '--seed', '1', '--subseed', '-2'], /--subseed.*'-2'.*0 to 4294967295/],
    [['noise', '--seed', '1', '--subseed', '4294967296'], /--subseed.*0 to 4294967295/],
    [['noise', '--seed', '1', '--subseed', '2', '--subseed-strength', '1.5'], /--subseed-strength.*'1.5'.*from 0 to 1/],
    [['noise', '--seed', '1', '--subseed', '2', '--subseed-strength', 'half'], /--subseed-strength.*'half'.*from 0 to 1/],
    [['noise', '--seed', '1', '--subseed-strength', '0.5'], /--subseed-strength needs --subseed/],
    [['noise', '--seed', '1', '--seed-resize-from', '768'], /--seed-resize-from.*'768'.*width,height/],
    [['noise', '--seed', '1', '--seed-resize-from', '768,-8'], /--seed-resize-from.*width,height/],
    [['noise', '--seed', '1', '--seed-resize-from', '9000,512'], /--seed-resize-from.*0 to 8192/],
    [['noise', '--seed', '1', '--subseed', '2', '--shape', '2,4,8,8'], /--shape: .*one image's noise: expected 1,C,H,W or C,H,W, got 2,4,8,8/],
    [['noise', '--seed', '1', '--subseed', '2', '--subseed-strength', '0.5', '--shape', '1,4,1,8'], /--shape: .*at least 2 rows/],
    [['noise', '--seed', '1', '--subseed', '2', '--subseed-strength', '0.5', '--seed-resize-from', '64,8'], /--seed-resize-from: .*at least 16 pixels/],
    [['noise', '--seed', '1', '--shape', '1,1000,8,8', '--seed-resize-from', '8192,8192'], /--seed-resize-from: .*more than 67108864 values/],
    [['sigmas', '--steps', '0'], /--steps.*'0'.*from 1/],
    [['sigmas', '--steps', '20', '--strength', '1.5'], /--strength.*'1.5'.*from 0 to 1/],
    [['sigmas', '--steps', '20', '--schedule', 'cosine'], /--schedule.*'cosine'.*automatic, karras, exponential/],
    [['sigmas', '--steps', '20', '--sampler', 'Euler b'], /--sampler: unknown sampler 'Euler b'/],
  ])('debug %j', (args, message) => {
    const r = runCli(['debug', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
