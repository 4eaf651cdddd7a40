import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from '../../src/image-file.js';
import { AnimationSchema } from '../../src/keyframes/schema.js';
import { planAnimation } from '../../src/plan/plan.js';
import { StableDiffusion } from '../../src/sampler/pipeline.js';
import { findFfmpeg } from '../../src/video/ffmpeg.js';
import { probeVideo } from '../../src/video/probe.js';
import { cliPath, repoRoot } from '../helpers.js';
import { animationFile, jsonEvents, runCliAsync, tempDir, TEST_MODEL } from './render-fixture.js';

async function pixels(file: string): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

describe('deforum render', () => {
  let dir: string;
  let outDir: string;
  let run: Awaited<ReturnType<typeof runCliAsync>>;

  beforeAll(async () => {
    dir = tempDir();
    // A one-second tone, muxed into the video and trimmed to it.
    const tools = await findFfmpeg();
    const tone = spawnSync(tools.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', path.join(dir, 'tone.wav')]);
    expect(tone.status).toBe(0);
    const file = animationFile(dir, { output: { preset: 'ultrafast', audio: 'tone.wav' } });
    outDir = path.join(dir, 'renders', 'anim');
    run = await runCliAsync(['render', file, '--device', 'cpu', '--save-plan'], { cwd: dir });
  }, 300_000);

  it('writes every frame, zero-padded, at the animation size, plus settings and plan', async () => {
    expect(run.code, run.stderr).toBe(0);
    const names = readdirSync(path.join(outDir, 'frames')).sort();
    expect(names).toEqual(Array.from({ length: 8 }, (_, i) => `${String(i).padStart(9, '0')}.png`));
    const first = await pixels(path.join(outDir, 'frames', names[0]));
    expect([first.width, first.height]).toEqual([128, 128]);
    const settings = JSON.parse(readFileSync(path.join(outDir, 'settings.json'), 'utf8'));
    expect(settings.animation).toMatchObject({ seed: 42, frames: 8, diffusionCadence: 2, colorCoherence: 'lab', fps: 8 });
    expect(settings.device).toEqual({ requested: 'cpu', used: 'cpu' });
    expect(Object.keys(settings.versions)).toEqual(expect.arrayContaining(['node', 'onnxruntime-node', 'sharp', 'ffmpeg']));
    const plan = JSON.parse(readFileSync(path.join(outDir, 'plan.json'), 'utf8'));
    expect(plan).toHaveLength(8);
    expect(plan[4].diffusion.prompt).toEqual({ positive: 'a yellow square on a green background', negative: 'purple' });
  });

  it('encodes an H.264 yuv420p MP4 with every frame, the fps, the size and the audio trimmed to the video', async () => {
    const tools = await findFfmpeg();
    const info = await probeVideo(path.join(outDir, 'anim.mp4'), tools);
    expect(info).toMatchObject({ frames: 8, fps: 8, width: 128, height: 128, codec: 'h264', pixFmt: 'yuv420p', hasAudio: true });
    expect(info.duration).toBeLessThan(1.2);
  });

  it('prints plain progress lines when stderr is not a terminal, and a summary line', () => {
    const lines = run.stderr.trim().split('\n');
    expect(lines.some((l) => /^rendering anim: frames 0-7 of 8 on cpu/.test(l))).toBe(true);
    expect(lines.filter((l) => /^frame \d+ \(\d+\/8\) [\d.]+ s\/frame · ETA /.test(l))).toHaveLength(8);
    expect(lines.at(-1)).toMatch(/^done: 8 frames \(8 rendered\) in \S+, [\d.]+ frames\/min, video .*anim\.mp4$/);
  });

  it('emits one JSON event per line with --json', async () => {
    const d = tempDir();
    const file = animationFile(d, { frames: 3 });
    const json = await runCliAsync(['render', file, '--device', 'cpu', '--json', '--out', path.join(d, 'out')]);
    expect(json.code, json.stderr).toBe(0);
    const events = jsonEvents(json.stdout).filter((e) => e.type !== 'info' && e.type !== 'warning' && e.type !== 'encode');
    expect(events.map((e) => e.type)).toEqual(['start', 'frame', 'frame', 'frame', 'video', 'done']);
    // ffmpeg's progress through the final encode, ending at the last frame.
    expect(jsonEvents(json.stdout).filter((e) => e.type === 'encode').at(-1)).toMatchObject({ frame: 3, frames: 3 });
    expect(events[1]).toMatchObject({ frame: 0, frames: 3, diffused: true });
    expect(typeof events[1].seconds).toBe('number');
    expect(events.at(-1)).toMatchObject({ frames: 3, rendered: 3 });
  }, 120_000);

  it('stops on Ctrl-C, says how to resume, exits 130, and the resume finishes the render', async () => {
    const d = tempDir();
    const file = animationFile(d, { frames: 30 });
    const out = path.join(d, 'out');
    let sent = false;
    const stopped = await runCliAsync(['render', file, '--device', 'cpu', '--out', out], {
      onOutput: (text, child) => {
        if (!sent && /frame 2 \(/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/stopping after the current step/);
    expect(stopped.stderr).toMatch(/stopped; frames 0-\d+ are saved\. Resume with: (npx )?deforum resume ".*out"/);
    expect(existsSync(path.join(out, 'render.lock'))).toBe(false);
    const resumed = await runCliAsync(['resume', out, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readdirSync(path.join(out, 'frames'))).toHaveLength(30);
  }, 300_000);

  it('says no frame is saved yet on a Ctrl-C before the first frame is done', async () => {
    const d = tempDir();
    // Frame 0 takes many sampler steps, so the Ctrl-C sent when the render starts lands inside it.
    const file = animationFile(d, { frames: 2, steps: 150 });
    const out = path.join(d, 'out');
    let sent = false;
    const stopped = await runCliAsync(['render', file, '--device', 'cpu', '--out', out], {
      onOutput: (text, child) => {
        if (!sent && /^rendering out: /m.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/^deforum: stopped; no frame is saved yet\. Resume with: (npx )?deforum resume ".*out"$/m);
    expect(readdirSync(path.join(out, 'frames'))).toEqual([]);
  }, 120_000);

  it('streams plan.json with --save-plan: 200,000 frames in a heap smaller than the plan as one string', async () => {
    const d = tempDir();
    const frames = 200_000;
    const file = animationFile(d, { frames, width: 64, height: 64, steps: 1, diffusionCadence: 1 });
    const out = path.join(d, 'out');
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--max-old-space-size=256', cliPath, 'render', file, '--device', 'cpu', '--out', out, '--frames', '0-0', '--save-plan'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr: stderr.slice(-2000) }));
    });
    expect(run.code, run.stderr).toBe(0);
    const text = readFileSync(path.join(out, 'plan.json'), 'utf8');
    const lines = text.split('\n');
    // One job per line between the brackets.
    expect(lines).toHaveLength(frames + 3);
    expect([lines[0], lines.at(-2), lines.at(-1)]).toEqual(['[', ']', '']);
    expect(JSON.parse(lines[frames].replace(/,$/, ''))).toMatchObject({ frame: frames - 1, diffused: true });
    const plan = JSON.parse(text) as unknown[];
    expect(plan).toHaveLength(frames);
  }, 120_000);

  it('refuses bad input before rendering anything, with exit code 2', async () => {
    const d = tempDir();
    const missing = await runCliAsync(['render', path.join(d, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: no such file/);
    const file = animationFile(d, { initImage: 'missing.png' });
    const noInit = await runCliAsync(['render', file, '--device', 'cpu', '--out', path.join(d, 'out')]);
    expect(noInit.code).toBe(2);
    expect(noInit.stderr).toMatch(/initImage: .*missing\.png does not exist, expected an image file/);
    expect(existsSync(path.join(d, 'out', 'frames'))).toBe(false);
    const noFfmpeg = await runCliAsync(['render', animationFile(d), '--device', 'cpu', '--out', path.join(d, 'out2')], { env: { FFMPEG_PATH: path.join(d, 'no-ffmpeg') } });
    expect(noFfmpeg.code).toBe(2);
    expect(noFfmpeg.stderr).toMatch(/ffmpeg.*apt-get install ffmpeg/);
    expect(existsSync(path.join(d, 'out2', 'frames'))).toBe(false);
    const outIsFile = await runCliAsync(['render', animationFile(d), '--device', 'cpu', '--out', file]);
    expect(outIsFile.code).toBe(2);
    expect(outIsFile.stderr).toBe(`deforum: --out: ${file} is a file, not a folder; choose a folder for the render (its frames, journal and video)\n`);
  }, 120_000);
});

describe('deforum render motion', () => {
  /** Centroid and spread of the bright pixels of a frame. */
  async function bright(file: string) {
    const { width, data } = await pixels(file);
    let n = 0;
    let sx = 0;
    let sy = 0;
    const points: Array<[number, number]> = [];
    for (let i = 0; i < data.length; i += 3) {
      if (data[i] + data[i + 1] + data[i + 2] > 3 * 160) {
        const x = (i / 3) % width;
        const y = Math.floor(i / 3 / width);
        points.push([x, y]);
        sx += x;
        sy += y;
        n += 1;
      }
    }
    const cx = sx / n;
    const cy = sy / n;
    const spread = Math.sqrt(points.reduce((s, [x, y]) => s + (x - cx) ** 2 + (y - cy) ** 2, 0) / n);
    // Orientation of the blob's long axis (degrees, image y down), from its second moments.
    const [mxx, myy, mxy] = points.reduce(([a, b, c], [x, y]) => [a + (x - cx) ** 2, b + (y - cy) ** 2, c + (x - cx) * (y - cy)], [0, 0, 0]);
    const orientation = (0.5 * Math.atan2(2 * mxy, mxx - myy) * 180) / Math.PI;
    return { n, cx, cy, spread, orientation };
  }

  /** Renders 2 frames from a synthetic init image at strength 1 (no redraw), with one motion schedule. */
  async function motionFrames(schedules: Record<string, string>) {
    const d = tempDir();
    // A white horizontal bar on black, left of centre.
    const bar = await sharp({ create: { width: 128, height: 128, channels: 3, background: '#000000' } })
      .composite([{ input: { create: { width: 40, height: 10, channels: 3, background: '#ffffff' } }, left: 34, top: 59 }])
      .png()
      .toFile(path.join(d, 'bar.png'));
    expect(bar.width).toBe(128);
    const file = animationFile(d, {
      frames: 2, diffusionCadence: 1, initImage: 'bar.png', initStrength: 1, colorCoherence: 'none', noiseType: 'uniform',
      prompts: { '0': 'a white square on a black background' },
      schedules: { strength: '0:(1)', noise: '0:(0)', antiBlurAmount: '0:(0)', zoom: '0:(1)', angle: '0:(0)', translationX: '0:(0)', ...schedules },
    });
    const out = path.join(d, 'out');
    const r = await runCliAsync(['render', file, '--device', 'cpu', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    return [await bright(path.join(out, 'frames', '000000000.png')), await bright(path.join(out, 'frames', '000000001.png'))];
  }

  it('moves content right for translationX > 0 and down for translationY > 0', async () => {
    const [a, b] = await motionFrames({ translationX: '0:(12)', translationY: '0:(6)' });
    expect(a.n).toBeGreaterThan(200);
    expect(b.cx - a.cx).toBeGreaterThan(9);
    expect(b.cx - a.cx).toBeLessThan(15);
    expect(b.cy - a.cy).toBeGreaterThan(3);
    expect(b.cy - a.cy).toBeLessThan(9);
  }, 120_000);

  it('zooms in about the centre for zoom > 1', async () => {
    const [a, b] = await motionFrames({ zoom: '0:(1.3)' });
    // Content moves away from the centre (64, 64) and grows.
    expect(64 - b.cx).toBeGreaterThan((64 - a.cx) * 1.15);
    expect(b.spread).toBeGreaterThan(a.spread * 1.15);
  }, 120_000);

  it('rotates content counter-clockwise for angle > 0, as OpenCV and Deforum do', async () => {
    const [a, b] = await motionFrames({ angle: '0:(30)' });
    // On screen (y down) a counter-clockwise turn of a horizontal bar gives it a negative slope in image coordinates.
    expect(Math.abs(a.orientation)).toBeLessThan(8);
    expect(b.orientation).toBeLessThan(-20);
    expect(b.orientation).toBeGreaterThan(-40);
  }, 120_000);
});

describe('deforum render colour coherence', () => {
  async function meanColour(file: string): Promise<[number, number, number]> {
    const { data } = await pixels(file);
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i++) sum[i % 3] += data[i];
    return sum.map((v) => v / (data.length / 3)) as [number, number, number];
  }

  async function drift(colorCoherence: string): Promise<number> {
    const d = tempDir();
    const file = animationFile(d, {
      frames: 8, diffusionCadence: 1, colorCoherence,
      prompts: { '0': 'a red circle on a blue background', '1': 'a yellow square on a green background' },
      // Deforum's default strength 0.65: without coherence the bundled model repaints the new prompt's colours within
      // a frame (drift ~180); LAB coherence hands it frame 0's colours each time. (At 0.8 it keeps the picture either way.)
      schedules: { strength: '0:(0.65)', zoom: '0:(1)', angle: '0:(0)', translationX: '0:(0)' },
    });
    const out = path.join(d, 'out');
    const r = await runCliAsync(['render', file, '--device', 'cpu', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const first = await meanColour(path.join(out, 'frames', '000000000.png'));
    const last = await meanColour(path.join(out, 'frames', '000000007.png'));
    return Math.hypot(first[0] - last[0], first[1] - last[1], first[2] - last[2]);
  }

  it('keeps the mean colour near frame 0 with LAB coherence, much nearer than without', async () => {
    const none = await drift('none');
    const lab = await drift('lab');
    console.log(`mean-colour drift over 8 frames: none ${none.toFixed(1)}, lab ${lab.toFixed(1)}`);
    expect(lab).toBeLessThan(none / 2);
  }, 300_000);
});

describe('deforum render prompt interpolation', () => {
  it('blends the negative prompts too: in-between frames follow the next key\'s negative, and equal the blend of both prompts and both negatives', async () => {
    const d = tempDir();
    // No motion, colour matching, contrast, sharpening or noise: a frame's init is exactly the frame before it.
    const still = { zoom: '0:(1)', angle: '0:(0)', translationX: '0:(0)', strength: '0:(0.5)', noise: '0:(0)', contrast: '0:(1)', antiBlurAmount: '0:(0)' };
    const animationWith = (nextNegative: string, name: string) =>
      animationFile(d, {
        frames: 5, diffusionCadence: 1, promptInterpolation: true, colorCoherence: 'none', schedules: still,
        prompts: { '0': 'a red circle on a blue background --neg green', '4': `a yellow square on a green background --neg ${nextNegative}` },
      }, name);
    const renders = [];
    for (const [nextNegative, name] of [['blue', 'a'], ['red', 'b']]) {
      const file = animationWith(nextNegative, `${name}.json`);
      const out = path.join(d, name);
      const r = await runCliAsync(['render', file, '--device', 'cpu', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      renders.push({ file, out, frames: readdirSync(path.join(out, 'frames')).sort().map((n) => readFileSync(path.join(out, 'frames', n))) });
    }
    const [a, b] = renders;
    // Frame 0 is at its key (weight 0) and frame 4 is the next key: only the frames between see the next negative.
    expect(a.frames[0]).toEqual(b.frames[0]);
    for (const frame of [1, 2, 3]) expect(a.frames[frame].equals(b.frames[frame]), `frame ${frame}`).toBe(false);

    // Frame 1 made by hand: img2img of frame 0 with the blend, at weight 1/4, of both prompts and both negatives.
    const animation = AnimationSchema.parse(JSON.parse(readFileSync(a.file, 'utf8')));
    const job = planAnimation(animation, { seed: 42 })[1];
    expect(job.diffusion.prompt.negative).toBe('green');
    expect(job.diffusion.promptBlend).toEqual({ next: { positive: 'a yellow square on a green background', negative: 'blue' }, weight: 0.25 });
    const sd = await StableDiffusion.load(TEST_MODEL, { device: 'cpu' });
    try {
      const expected = await sd.generate({
        prompt: job.diffusion.prompt.positive,
        negativePrompt: job.diffusion.prompt.negative,
        promptBlend: { prompt: job.diffusion.promptBlend!.next.positive, negativePrompt: job.diffusion.promptBlend!.next.negative, weight: job.diffusion.promptBlend!.weight },
        width: 128, height: 128, seed: job.diffusion.seed, steps: job.diffusion.steps, cfg: job.diffusion.cfg, sampler: job.diffusion.sampler, scheduler: job.diffusion.scheduler,
        init: await decodeImage(a.frames[0]), strength: job.diffusion.strength,
      });
      expect((await encodePng(expected)).equals(a.frames[1])).toBe(true);
    } finally {
      await sd.release();
    }
  }, 300_000);
});

describe('deforum render noise multiplier', () => {
  it('scales the noise of img2img frames as A1111 initial_noise_multiplier: frame 0 (txt2img) unchanged, frame 1 equal to img2img with the multiplier', async () => {
    const d = tempDir();
    const still = { zoom: '0:(1)', angle: '0:(0)', translationX: '0:(0)', strength: '0:(0.5)', noise: '0:(0)', contrast: '0:(1)', antiBlurAmount: '0:(0)' };
    const renders = [];
    for (const [name, extra] of [['plain', {}], ['scaled', { noiseMultiplier: '0:(0.5)' }]] as const) {
      const file = animationFile(d, { frames: 2, diffusionCadence: 1, colorCoherence: 'none', prompts: { '0': 'a red circle on a blue background' }, schedules: { ...still, ...extra } }, `${name}.json`);
      const out = path.join(d, name);
      const r = await runCliAsync(['render', file, '--device', 'cpu', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      renders.push({ file, frames: readdirSync(path.join(out, 'frames')).sort().map((n) => readFileSync(path.join(out, 'frames', n))) });
    }
    const [plain, scaled] = renders;
    expect(scaled.frames[0]).toEqual(plain.frames[0]);
    expect(scaled.frames[1].equals(plain.frames[1])).toBe(false);

    const job = planAnimation(AnimationSchema.parse(JSON.parse(readFileSync(scaled.file, 'utf8'))), { seed: 42 })[1];
    expect(job.diffusion.noiseMultiplier).toBe(0.5);
    const sd = await StableDiffusion.load(TEST_MODEL, { device: 'cpu' });
    try {
      const expected = await sd.generate({
        prompt: job.diffusion.prompt.positive, negativePrompt: job.diffusion.prompt.negative,
        width: 128, height: 128, seed: job.diffusion.seed, steps: job.diffusion.steps, cfg: job.diffusion.cfg, sampler: job.diffusion.sampler, scheduler: job.diffusion.scheduler,
        init: await decodeImage(scaled.frames[0]), strength: job.diffusion.strength, noiseMultiplier: 0.5,
      });
      expect((await encodePng(expected)).equals(scaled.frames[1])).toBe(true);
    } finally {
      await sd.release();
    }
  }, 300_000);
});

describe('deforum render with a ControlNet pose unit', () => {
  it('renders schedules/pose-demo.json, writes the pose maps with --save-detectmaps, the figure on the skeleton, and keeps every frame on a second run', async () => {
    const d = tempDir();
    const out = path.join(d, 'out');
    const demo = path.join(repoRoot, 'schedules', 'pose-demo.json');
    const r = await runCliAsync(['render', demo, '--device', 'cpu', '--out', out, '--frames', '0-3', '--save-detectmaps', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(path.join(out, 'frames'))).toHaveLength(4);
    expect(readdirSync(path.join(out, 'detectmaps')).sort()).toEqual(['000000000-0.png', '000000001-0.png', '000000002-0.png', '000000003-0.png']);
    // The figure stands where the skeleton is: its dark pixels cover the skeleton's limbs far more than chance.
    const frame = await pixels(path.join(out, 'frames', '000000003.png'));
    const map = await pixels(path.join(out, 'detectmaps', '000000003-0.png'));
    let limb = 0;
    let covered = 0;
    for (let i = 0; i < map.data.length; i += 3) {
      if (map.data[i] + map.data[i + 1] + map.data[i + 2] > 0) {
        limb += 1;
        if (frame.data[i] + frame.data[i + 1] + frame.data[i + 2] < 3 * 200) covered += 1;
      }
    }
    expect(covered / limb).toBeGreaterThan(0.5);
    // The same folder again: nothing changed, nothing re-rendered.
    const again = await runCliAsync(['render', demo, '--device', 'cpu', '--out', out, '--frames', '0-3', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonEvents(again.stdout).filter((e) => e.type === 'frame')).toHaveLength(0);
  }, 300_000);
});

describe('pose files in the job hash', () => {
  /** A 4-frame ControlNet render whose unit takes pose images from a folder: image i is frame i. */
  async function poseImageRender() {
    const d = tempDir();
    mkdirSync(path.join(d, 'maps'));
    for (let i = 0; i < 4; i++) await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 40 * i, g: 0, b: 0 } } }).png().toFile(path.join(d, 'maps', `${i}.png`));
    const file = animationFile(d, {
      width: 64,
      height: 64,
      frames: 4,
      steps: 3,
      diffusionCadence: 1,
      controlnet: [{ model: path.join(repoRoot, 'models', 'tiny-sd-controlnet-openpose'), pose: { images: 'maps' } }],
    });
    return { d, file, out: path.join(d, 'out') };
  }
  const rendered = (stdout: string) => jsonEvents(stdout).filter((e) => e.type === 'frame').map((e) => e.frame);

  it('identifies pose images by content: a resume from another directory keeps every frame, an edited image re-renders from its frame', async () => {
    const { d, file, out } = await poseImageRender();
    const first = await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json'], { cwd: d });
    expect(first.code, first.stderr).toBe(0);
    expect(rendered(first.stdout)).toEqual([0, 1, 2, 3]);
    const elsewhere = await runCliAsync(['resume', out, '--json'], { cwd: os.tmpdir() });
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(rendered(elsewhere.stdout)).toEqual([]);
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 0, g: 200, b: 0 } } }).png().toFile(path.join(d, 'maps', '2.png'));
    const edited = await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json']);
    expect(edited.code, edited.stderr).toBe(0);
    expect(rendered(edited.stdout)).toEqual([2, 3]);
    expect(jsonEvents(edited.stdout).find((e) => e.type === 'start')?.message).toBe('keeping frames 0-1; frame 2 changed: re-rendering frames 2-3');
  }, 300_000);

  it('re-renders a folder of an older journal version once, saying why', async () => {
    const d = tempDir();
    const file = animationFile(d, { frames: 2, steps: 3, width: 64, height: 64 });
    const out = path.join(d, 'out');
    expect((await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json'])).code).toBe(0);
    const journal = path.join(out, 'journal.jsonl');
    const lines = readFileSync(journal, 'utf8').split('\n');
    writeFileSync(journal, [JSON.stringify({ ...JSON.parse(lines[0]), version: 1 }), ...lines.slice(1)].join('\n'));
    const again = await runCliAsync(['render', file, '--device', 'cpu', '--out', out, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(rendered(again.stdout)).toEqual([0, 1]);
    expect(jsonEvents(again.stdout).find((e) => e.type === 'start')?.message).toBe(
      `${out} was rendered by an older deforum-ts (journal version 1), whose frames are identified differently (jobs grouped by stage, pose files by content); re-rendering from frame 0`,
    );
  }, 300_000);
});

describe('extra network tags', () => {
  it('are said once per render, and the frames are those of the prompt without them', async () => {
    const d = tempDir();
    const tagged = animationFile(d, { frames: 2, steps: 3, width: 64, height: 64, prompts: { 0: '<lora:ink:0.8> a red circle on a blue background' } }, 'tagged.json');
    const plain = animationFile(d, { frames: 2, steps: 3, width: 64, height: 64, prompts: { 0: ' a red circle on a blue background' } }, 'plain.json');
    const a = await runCliAsync(['render', tagged, '--device', 'cpu', '--out', path.join(d, 'a')]);
    const b = await runCliAsync(['render', plain, '--device', 'cpu', '--out', path.join(d, 'b')]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stderr.match(/1 extra network tag in the prompts \(<lora:ink:0\.8>\)/g)).toHaveLength(1);
    for (const frame of ['000000000.png', '000000001.png']) {
      expect(readFileSync(path.join(d, 'a', 'frames', frame)).equals(readFileSync(path.join(d, 'b', 'frames', frame)))).toBe(true);
    }
  }, 300_000);
});
