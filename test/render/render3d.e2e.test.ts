/**
 * 3D mode end to end, through the CLI and real ONNX models: the depth fixture `depth-luminance` (one ReduceMean:
 * bright = near, so the near content of a test image is known) and the bundled Stable Diffusion.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { animationFile, frameBytes, jsonEvents, runCliAsync, tempDir } from './render-fixture.js';

const luminanceDepth = path.join(repoRoot, 'test', 'fixtures', 'models', 'depth-luminance');
const prompts = { 0: 'a red circle on a blue background' };
const threeD = (overrides: Record<string, unknown> = {}) => ({
  width: 64, height: 64, steps: 3, prompts, animationMode: '3D', depth: { model: luminanceDepth, algorithm: 'Midas-3-Hybrid' },
  schedules: { translationZ: '0:(10)', rotation3dY: '0:(0.5)', strength: '0:(0.6)' }, ...overrides,
});

/** A dark textured scene with a bright square (near, for the luminance depth) left of centre and a grey one (far) right of it. */
async function scene(file: string): Promise<void> {
  const size = 96;
  const data = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const near = x >= 20 && x < 32 && y >= 42 && y < 54;
      const far = x >= 64 && x < 76 && y >= 42 && y < 54;
      data.fill(near ? 250 : far ? 90 : 20 + ((x + y) % 2) * 4, i, i + 3);
    }
  }
  await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
}

/** Centroid x of the pixels whose grey level is within ±25 of `level`. */
async function centroidX(file: string, level: number): Promise<number> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  let count = 0;
  for (let i = 0; i < info.width * info.height; i++) {
    if (Math.abs(data[i * info.channels] - level) <= 25) {
      sum += i % info.width;
      count += 1;
    }
  }
  return sum / count;
}

describe('3D mode', () => {
  it('renders with the depth model, one 16-bit depth map per frame beside the frames, none among them', async () => {
    const d = tempDir();
    const file = animationFile(d, threeD({ frames: 4, diffusionCadence: 2, saveDepthMaps: true }));
    const out = path.join(d, 'out');
    const r = await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(path.join(out, 'frames'))).toEqual(['000000000.png', '000000001.png', '000000002.png', '000000003.png']);
    expect(readdirSync(path.join(out, 'depth'))).toEqual(['000000000.png', '000000001.png', '000000002.png', '000000003.png']);
    const meta = await sharp(path.join(out, 'depth', '000000001.png')).metadata();
    expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([64, 64, 1, 'ushort']);
  }, 300_000);

  it('moves near content more than far content (parallax), outward from the centre with translationZ, and pans with rotation3dY', async () => {
    const d = tempDir();
    const image = path.join(d, 'scene.png');
    await scene(image);
    const npy = path.join(d, 'depth.npy');
    const depth = await runCliAsync(['depth', image, '-o', path.join(d, 'depth.png'), '--npy', npy, '--model', luminanceDepth, '--device', 'cpu']);
    expect(depth.code, depth.stderr).toBe(0);
    const warp = async (name: string, ...motion: string[]) => {
      const out = path.join(d, `${name}.png`);
      const r = await runCliAsync(['debug', 'warp3d', '--image', image, '--depth', npy, '--depth-algorithm', 'Midas-3-Hybrid', '--sampling', 'bilinear', ...motion, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      return out;
    };
    const forward = await warp('forward', '--translation=0,0,40');
    // Both squares are left and right of the centre (x = 48): forward motion pushes each outward, the near one further.
    const nearShift = 26 - (await centroidX(forward, 250));
    const farShift = (await centroidX(forward, 90)) - 70;
    expect(nearShift).toBeGreaterThan(0.5);
    expect(farShift).toBeGreaterThan(0.1);
    expect(nearShift).toBeGreaterThan(1.5 * farShift);
    console.log(`forward 40: near square moved ${nearShift.toFixed(2)} px outward, far square ${farShift.toFixed(2)} px`);
    const panned = await warp('pan', '--rotation=0,3,0');
    expect(await centroidX(panned, 90)).toBeLessThan(69);
  }, 120_000);

  it('resumes byte-identically after a crash, with cadence 3', async () => {
    const d = tempDir();
    const file = animationFile(d, threeD({ frames: 7, diffusionCadence: 3 }));
    const whole = path.join(d, 'whole');
    expect((await runCliAsync(['render', file, '--device', 'cpu', '--out', whole])).code).toBe(0);
    const crashed = path.join(d, 'crashed');
    const first = await runCliAsync(['render', file, '--device', 'cpu', '--out', crashed], { env: { DEFORUM_CRASH_AT: 'rename:4' } });
    expect(first.signal).toBe('SIGKILL');
    const resumed = await runCliAsync(['resume', crashed, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonEvents(resumed.stdout).find((e) => e.type === 'start')?.reused).toBeGreaterThan(0);
    expect(frameBytes(crashed)).toEqual(frameBytes(whole));
  }, 300_000);

  it('the depth model is part of every frame\'s job hash: the same file with flat depth re-renders', async () => {
    const d = tempDir();
    const out = path.join(d, 'out');
    const file = animationFile(d, threeD({ frames: 2, diffusionCadence: 1 }));
    expect((await runCliAsync(['render', file, '--device', 'cpu', '--out', out])).code).toBe(0);
    const again = await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json']);
    expect(jsonEvents(again.stdout).filter((e) => e.type === 'frame')).toHaveLength(0);
    animationFile(d, threeD({ frames: 2, diffusionCadence: 1, depth: { model: luminanceDepth, warping: false } }));
    const flat = await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json']);
    expect(flat.code, flat.stderr).toBe(0);
    expect(jsonEvents(flat.stdout).filter((e) => e.type === 'frame').map((e) => e.frame)).toEqual([0, 1]);
  }, 300_000);
});
