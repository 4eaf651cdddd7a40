/**
 * Deforum settings files in the shapes real ones have (test/fixtures/deforum-settings: the A1111 extension of 2022 and
 * 2024, its Forge fork, the Colab/local notebook, Replicate's inputs), each taken as a user would: `deforum import`,
 * then `validate`, `plan` and a 4-frame 64×64 `render` with the bundled model on the CPU — or the exact failure.
 * Per file: what the import says (notes, what it does not carry, warnings) line for line, and the carried values on
 * a few frames of the plan.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameJob } from '../../src/plan/frame-job.js';
import { repoRoot, runCli } from '../helpers.js';
import { serveFolder } from '../render/http-fixture.js';
import { runCliAsync } from '../render/render-fixture.js';

const corpus = path.join(repoRoot, 'test', 'fixtures', 'deforum-settings');
const dir = mkdtempSync(path.join(os.tmpdir(), 'deforum-corpus-'));
const modelNote = (name: string) => `sd_model_name "${name}" (set "model" to an ONNX model folder)`;
const sdModel = modelNote('v1-5-pruned-emaonly.safetensors');
const fluxModel = modelNote('Flux\\\\flux1-dev-bnb-nf4-v2.safetensors');
const floored = (field: string, size: number) => `${field} ${size} → ${size - (size % 8)} (floored to a multiple of 8, as Deforum does)`;
/** The URLs the corpus names, served from 127.0.0.1 instead (the render downloads them; tests do not use the network). */
const servedUrls = ['https://deforum.github.io/a1/', 'https://ia801303.us.archive.org/26/items/amen-breaks/'];

interface Case {
  file: string;
  /** The whole stderr of a refused import. */
  refused?: string;
  notes?: string[];
  notCarried?: string[];
  /** Import warnings, and the same warnings validate and render give once each. */
  warnings?: string[];
  /** Warnings only the render gives (once each), after validation's. */
  renderWarnings?: string[];
  /** Fields of a few frames of the plan. */
  frames?: Record<number, Record<string, unknown>>;
  /** The files' problems validate lists (its stdout lines); render then fails on the first of them. */
  fileProblems?: string[];
}

const cases: Case[] = [
  {
    file: 'ext2024-basic_settings.txt',
    notCarried: [sdModel],
    frames: {
      0: { source: 'txt2img', sampler: 'euler_a', scheduler: 'automatic', seed: 1234, steps: 10, zoom: 1.0025, prompt: { positive: 'a red circle on a blue background', negative: 'nsfw, blurry' } },
      1: { source: 'previous-frame', noiseMultiplier: 1.05, strength: 0.65, seed: 1235 },
      3: { prompt: { positive: 'a yellow star on a green background', negative: 'nsfw, blurry' } },
    },
  },
  {
    file: 'ext2022-index-sampler_settings.txt',
    frames: {
      0: { sampler: 'dpmpp_2m', scheduler: 'karras', seed: 7, colorCoherence: 'lab', zoom: 1.02, cfg: 7 },
      2: { strength: 0.6, noise: 0.08, prompt: { positive: 'a yellow star on a green background', negative: '' } },
    },
  },
  {
    file: 'ext2022-dpm-fast_settings.txt',
    notes: [floored('W', 70)],
    notCarried: ['sampler 9 (A1111\'s "DPM fast", not available; using euler_a)'],
    frames: { 0: { sampler: 'euler_a', colorCoherence: 'hsv', seed: 8 }, 3: { seed: 11 } },
  },
  {
    file: 'ext2023-controlnet_settings.txt',
    notes: ['cn_1: model "control_v11p_sd15_openpose [cab727d4]" → the bundled tiny-sd-controlnet-openpose (set controlnet[0].model to its ONNX export)'],
    notCarried: [
      'cn_2: canny, weight 0:(0.6), input controlnet.mp4 (only OpenPose ControlNet units are supported yet)',
      'cn_3: dw_openpose_full, weight 0:(1), input C:\\Users\\ana\\Videos\\dance.mp4 (pose detection (preprocessor dw_openpose_full) is not supported yet: give pose maps with preprocessor none, or OpenPose JSON keyframes)',
      sdModel,
    ],
    frames: {
      0: { controlnet: [{ weight: 1, guidanceStart: 0, guidanceEnd: 0.8 }] },
      3: { controlnet: [{ weight: 0.5, guidanceStart: 0, guidanceEnd: 0.8 }] },
    },
  },
  {
    file: 'ext2023-features-on_settings.txt',
    notCarried: [
      'CLIP skip scheduling (clipskip_schedule "0: (2)"): not supported yet',
      'color_coherence "Video Input" (not available; using LAB)',
      'optical flow cadence (optical_flow_cadence "DIS Fine", cadence_flow_factor_schedule "0: (1)"): not supported yet; in-between frames are blended without flow',
      'hybrid video (hybrid_composite "Normal", hybrid_motion "Optical Flow", hybrid_flow_method "DIS Medium"): not supported yet; the frames are made without the video',
      'add_soundtrack "Init Video" (the audio of Video Input mode\'s video, which is not supported yet)',
      'upscaling (r_upscale_model "realesr-animevideov3", r_upscale_factor "x2"): not supported yet; upscale the video afterwards',
      'frame interpolation (frame_interpolation_engine "FILM", frame_interpolation_x_amount 2): not supported yet; interpolate the video afterwards',
      sdModel,
    ],
    frames: { 0: { colorCoherence: 'lab', seed: 99 } },
  },
  {
    file: 'ext2023-lora-tags_settings.txt',
    notCarried: [sdModel],
    renderWarnings: [
      '4 extra network tags in the prompts (<lora:add_detail:0.8> <lora:[x]:0.8> <lyco:loha_style:0.6:0.4> <hypernet:anime_3:1>): removed from the prompt text as AUTOMATIC1111 does, but LoRA, LyCORIS and hypernetworks are not applied yet, so frames look as without them',
    ],
    frames: {
      0: {
        sampler: 'restart',
        steps: 8,
        prompt: {
          positive:
            'masterpiece, best quality, <lora:add_detail:0.8> a red circle on a blue background, intricate, highly detailed, sharp focus, studio lighting, 8k, trending on artstation, by greg rutkowski and alphonse mucha, (vibrant colors:1.2)',
          negative: 'easynegative, bad-hands-5, <lora:badpose:1>  nsfw, nude',
        },
      },
      2: { prompt: { positive: expect.stringMatching(/^<lora:\[x\]:0\.8> <lyco:loha_style:0\.6:0\.4> <hypernet:anime_3:1> a yellow star/), negative: 'nsfw, nude' } },
    },
  },
  {
    file: 'ext2024-urls_settings.txt',
    notCarried: [sdModel],
    frames: { 0: { source: 'init-image', strength: 0.75 } },
  },
  {
    file: 'ext2024-windows-paths_settings.txt',
    refused:
      'deforum: ext2024-windows-paths_settings.txt: 3 files it names are not on this machine: init_image C:\\Users\\bob\\Pictures\\start.png (18:19, a Windows path), color_coherence_image_path D:\\palettes\\sunset.png (95:35, a Windows path), soundtrack_path /home/alice/stable-diffusion-webui/music/track.mp3 (243:24, its folder is not here); copy each next to ext2024-windows-paths_settings.txt and set its setting to the file\'s name',
  },
  {
    file: 'ext2024-schedules_settings.txt',
    notCarried: [sdModel],
    frames: {
      0: { sampler: 'dpmpp_sde', scheduler: 'automatic', steps: 10, seed: 5 },
      1: { sampler: 'dpmpp_sde', scheduler: 'karras', steps: 11, seed: 6, noiseMultiplier: 1.175 },
      2: { sampler: 'dpmpp_2m_sde', scheduler: 'automatic', steps: 12, noiseMultiplier: 1.3 },
      3: { sampler: 'dpmpp_2m_sde', scheduler: 'karras', steps: 14, seed: 8, noiseMultiplier: 1.3 },
    },
  },
  {
    file: 'ext2024-samplers-dpm2_settings.txt',
    notCarried: [sdModel],
    frames: { 0: { sampler: 'dpm2', scheduler: 'automatic' }, 1: { sampler: 'dpm2', scheduler: 'karras' }, 2: { sampler: 'dpm2_a', scheduler: 'automatic' }, 3: { sampler: 'dpm2_a', scheduler: 'karras' } },
  },
  {
    file: 'ext2024-samplers-2s-unipc-lcm_settings.txt',
    notCarried: [sdModel],
    frames: { 0: { sampler: 'dpmpp_2s_a', scheduler: 'automatic' }, 1: { sampler: 'dpmpp_2s_a', scheduler: 'karras' }, 2: { sampler: 'unipc' }, 3: { sampler: 'lcm' } },
  },
  {
    file: 'forge-3m-sde_settings.txt',
    notCarried: [fluxModel],
    frames: {
      0: { sampler: 'dpmpp_3m_sde', scheduler: 'exponential', borderMode: 'wrap', colorCoherence: 'none', seed: 2025 },
      1: { sampler: 'dpmpp_3m_sde', scheduler: 'automatic', strength: 0.85 },
      2: { sampler: 'dpmpp_3m_sde', scheduler: 'karras' },
      3: { sampler: 'dpmpp_2m_sde', scheduler: 'exponential' },
    },
  },
  {
    file: 'forge-flux-defaults_settings.txt',
    notCarried: [
      'scheduler "Simple" (not available for Euler; using its default, Automatic)',
      'keyframe distribution (keyframe_distribution "Keyframes Only", keyframe_strength_schedule "0: (0.20)"): not supported yet; every diffusion_cadence-th frame is diffused',
      'Camera Shakify (shake_name "INVESTIGATION", shake_intensity 1, shake_speed 1): not supported yet',
      fluxModel,
    ],
    frames: { 0: { sampler: 'euler', scheduler: 'automatic' } },
  },
  {
    file: 'notebook-local_settings.txt',
    notes: ['border "warp" → replicate (Deforum replicates for anything but "wrap")'],
    frames: {
      0: { sampler: 'euler_a', colorCoherence: 'rgb', borderMode: 'replicate', seed: 3521683325, cfg: 7, steps: 12, zoom: 1.04 },
      1: { diffused: false },
      2: { diffused: true, seed: 3521683326, prompt: { positive: 'a yellow star on a green background', negative: '' } },
    },
  },
  {
    file: 'notebook-colab-guidance_settings.txt',
    notes: [floored('W', 70), 'sampler "plms" → lms (the notebook runs PLMS as KLMS in animations)'],
    notCarried: ['conditional guidance (clip_scale 1, colormatch_scale 1): not supported yet'],
    frames: { 0: { sampler: 'lms', borderMode: 'wrap', colorCoherence: 'lab', seed: 4242 } },
  },
  {
    file: 'replicate-api_settings.json',
    notCarried: [modelNote('Protogen_V2.2.ckpt').replace('sd_model_name', 'model_checkpoint')],
    frames: { 0: { sampler: 'dpmpp_2m', seed: 77, steps: 12, cfg: 7 }, 2: { prompt: { positive: 'a yellow star on a green background', negative: '' } } },
  },
  {
    file: 'ext2024-long-schedules_settings.txt',
    notCarried: [sdModel],
    warnings: [
      "strength_schedule: key '1000' is frame 1000, outside 0-3; ignored",
      "angle: 398 keys are outside 0-3; ignored: '6' is frame 6, '9' is frame 9, '12' is frame 12, …",
      "prompts: 39 keys are past the last frame 3; their prompts are never used: '10' is frame 10, '20' is frame 20, '30' is frame 30, …",
    ],
    frames: { 1: { strength: 0.575, angle: -3 + 1 / 3 }, 3: { angle: -2, prompt: { positive: expect.stringMatching(/^masterpiece, best quality, scene 0: /), negative: 'nsfw' } } },
  },
  {
    file: 'ext2024-3d_settings.txt',
    notes: ['depth_algorithm "Midas-3-Hybrid": depth from the bundled model tiny-depth with that algorithm\'s normalisation (set depth.model to an ONNX depth model of your own)'],
    notCarried: [sdModel],
    frames: {
      0: { source: 'txt2img', seed: 1234 },
      1: { mode: '3D', translationZ: 1.75, rotationX: 0, fov: 70, depthAlgorithm: 'Midas-3-Hybrid', depthWarping: true, padding: 'border', sampling: 'bicubic' },
    },
  },
  {
    file: 'ext2024-video-input_settings.txt',
    refused:
      'deforum: ext2024-video-input_settings.txt:39:23: animation_mode "Video Input": Video Input mode (each frame img2img of a video frame) is not supported yet; imported as 2D it would render a zoom loop instead of the video',
  },
  {
    file: 'forge-wan-video_settings.txt',
    refused:
      'deforum: forge-wan-video_settings.txt:61:23: animation_mode "Wan Video": Wan Video mode (the Forge fork\'s Wan video model) is not supported; imported as 2D it would render a different animation',
  },
  {
    file: 'ext2024-zoom-zero_settings.txt',
    refused: 'deforum: ext2024-zoom-zero_settings.txt:43:13: zoom: frame 2 is 0, expected above 0',
  },
];

/** What `deforum import` prints on stderr for a file it converts. */
function importStderr(file: string, c: Case): string {
  const warnings = (c.warnings ?? []).map((w) => `deforum: import: warning: ${file}:${warningPosition(file, w)}: ${w}\n`);
  const notes = (c.notes ?? []).map((n) => `deforum: import: note: ${n}\n`);
  const notCarried = c.notCarried ?? [];
  const list = notCarried.length === 0 ? '' : `deforum: import: ${notCarried.length} Deforum setting${notCarried.length === 1 ? '' : 's'} not carried over:\n${notCarried.map((l) => `  ${l}\n`).join('')}`;
  return [...warnings, ...notes, list].join('');
}

/** line:column of the setting a warning names, in the settings file (the import points there). */
function warningPosition(file: string, warning: string): string {
  const key = warning.slice(0, warning.indexOf(':'));
  const lines = readFileSync(path.join(corpus, file), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.startsWith(`    "${key}": `));
  return `${line + 1}:${lines[line].indexOf(': ') + 3}`;
}

let server: Awaited<ReturnType<typeof serveFolder>>;

beforeAll(async () => {
  const served = path.join(dir, 'served');
  mkdirSync(served);
  await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 30, g: 60, b: 200 } } }).png().toFile(path.join(served, 'I1.png'));
  for (const name of ['A1.mp3', 'cw_amen13_173.mp3']) execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=1', path.join(served, name)]);
  server = await serveFolder(served);
  for (const { file } of cases) copyFileSync(path.join(corpus, file), path.join(dir, file));
  // the ControlNet unit's input: a video of pose maps
  expect(runCli(['pose', 'render', path.join(repoRoot, 'schedules', 'poses', 'arms-up.json'), '-o', path.join(dir, 'pose.png'), '--width', '64', '--height', '64']).code).toBe(0);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', 'pose.png', '-frames:v', '4', '-r', '15', '-pix_fmt', 'yuv420p', 'pose.mp4'], { cwd: dir });
});

afterAll(() => server?.close());

describe('real-shaped Deforum settings files: import, validate, plan, render 4 frames (issue 16)', () => {
  it('the corpus is what this test covers, at least 15 files', () => {
    expect(readdirSync(corpus).filter((file) => /_settings\.(txt|json)$/.test(file)).sort()).toEqual(cases.map((c) => c.file).sort());
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  /** A job's values by the Deforum-like names the cases use: the diffusion, the 2D motion and the prepared noise and colour. */
  const flatView = (job: FrameJob): Record<string, unknown> => ({
    frame: job.frame,
    diffused: job.diffused,
    source: job.source,
    ...job.diffusion,
    ...(job.motion.mode === '2D' ? { zoom: job.motion.zoom, angle: job.motion.angle } : job.motion),
    translationX: job.motion.translationX,
    translationY: job.motion.translationY,
    borderMode: job.motion.border,
    colorCoherence: job.prepare.colorCoherence,
    noise: job.prepare.noise.amount,
    ...(job.controlnet ? { controlnet: job.controlnet } : {}),
  });

  it.each(cases)('$file', async (c) => {
    const name = c.file.replace(/_settings\.(txt|json)$/, '');
    const out = `${name}.json`;
    const imported = await runCliAsync(['import', c.file, '-o', out], { cwd: dir });
    if (c.refused) {
      expect(imported.stderr).toBe(`${c.refused}\n`);
      expect(imported.code).toBe(2);
      expect(existsSync(path.join(dir, out))).toBe(false);
      return;
    }
    expect(imported.stderr).toBe(importStderr(c.file, c));
    expect(imported.code).toBe(0);
    const keyframes = readFileSync(path.join(dir, out), 'utf8');
    writeFileSync(path.join(dir, out), servedUrls.reduce((text, url) => text.replaceAll(url, `${server.base}/`), keyframes));

    const validated = await runCliAsync(['validate', out], { cwd: dir });
    const warned = (c.warnings ?? []).map((w) => expect.stringMatching(new RegExp(`^${out}:\\d+:\\d+: \\S+: ${escape(w.slice(w.indexOf(': ') + 2))} \\(warning\\)$`)));
    if (c.fileProblems) {
      expect(validated.stdout.trimEnd().split('\n')).toEqual([...warned, ...c.fileProblems.map((p) => `${out}: ${p}`)]);
      expect(validated.code).toBe(2);
    } else {
      expect(validated.stdout.trimEnd().split('\n')).toEqual([...warned, expect.stringMatching(new RegExp(`^${out}: ok \\(4 frames, 64x64, \\d+ prompts?\\)$`))]);
      expect(validated.code).toBe(0);
    }

    const planned = await runCliAsync(['plan', out, '--json'], { cwd: dir });
    expect(planned.code).toBe(0);
    const jobs = (JSON.parse(planned.stdout) as FrameJob[]).map(flatView);
    expect(jobs).toHaveLength(4);
    for (const [frame, values] of Object.entries(c.frames ?? {})) expect(jobs[Number(frame)], `frame ${frame}`).toMatchObject(closeTo(values));

    const rendered = await runCliAsync(['render', out, '--device', 'cpu', '--out', `renders/${name}`], { cwd: dir });
    if (c.fileProblems) {
      const more = c.fileProblems.length > 1 ? ` \\(and ${c.fileProblems.length - 1} more; run '.+ validate ${escape(path.join(dir, out))}' to see all\\)` : '';
      expect(rendered.stderr).toMatch(new RegExp(`^deforum: ${escape(path.join(dir, out))}: ${escape(c.fileProblems[0])}${more}\\n$`));
      expect(rendered.code).toBe(2);
      return;
    }
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(readdirSync(path.join(dir, 'renders', name, 'frames'))).toEqual(['000000000.png', '000000001.png', '000000002.png', '000000003.png']);
    expect(existsSync(path.join(dir, 'renders', name, `${name}.mp4`))).toBe(true);
    // each warning once: validation's, not the plan's copy of it again
    const warnings = rendered.stderr.split('\n').filter((line) => line.startsWith('warning: '));
    expect(warnings).toEqual([...warned.map(() => expect.any(String)), ...(c.renderWarnings ?? []).map((w) => `warning: ${w}`)]);
    for (const w of c.warnings ?? []) expect(warnings.filter((line) => line.endsWith(w.slice(w.indexOf(': ') + 2)))).toHaveLength(1);
  }, 60_000);

  it('a carried ControlNet unit keeps its modes and its input, and a URL is kept as given', async () => {
    const unit = JSON.parse(readFileSync(path.join(dir, 'ext2023-controlnet.json'), 'utf8')).controlnet;
    expect(unit).toEqual([{ pose: { video: 'pose.mp4' }, weight: '0:(1), 3:(0.5)', guidanceStart: '0:(0.0)', guidanceEnd: '0:(0.8)', controlMode: 'prompt', resizeMode: 'just-resize' }]);
    expect((await runCliAsync(['import', 'ext2024-urls_settings.txt', '-o', 'urls-as-given.json'], { cwd: dir })).code).toBe(0);
    const urls = JSON.parse(readFileSync(path.join(dir, 'urls-as-given.json'), 'utf8'));
    expect([urls.initImage, urls.initStrength, urls.output]).toEqual(['https://deforum.github.io/a1/I1.png', 0.75, { audio: 'https://deforum.github.io/a1/A1.mp3' }]);
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Numbers compared to 12 digits (the plan's interpolation is float arithmetic); the rest as given. */
function closeTo(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, typeof value === 'number' && !Number.isInteger(value) ? expect.closeTo(value, 12) : value]));
}
