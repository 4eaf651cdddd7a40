import path from 'node:path';
import type { Command } from 'commander';
import { loadUnitPoseInputs } from '../controlnet/pose-inputs.js';
import { UsageError } from '../errors.js';
import { MAX_SEED } from '../numerics/seed-range.js';
import { loadAnimation } from '../keyframes/load.js';
import { parseqSources, type ParseqManifest } from '../keyframes/parseq.js';
import type { Animation } from '../keyframes/schema.js';
import { canonicalSamplerName } from '../sampler/sampler-names.js';
import { resolveRunSeed } from '../keyframes/seeds.js';
import type { FrameJob } from '../plan/frame-job.js';
import { planFrames } from '../plan/plan.js';
import { jsonArrayLines } from '../json-lines.js';
import { writeLines } from './output.js';
import { integerOption } from './schedule.js';

/** `--frames A-B` (inclusive) or `--frames A`, inside the animation. */
export function frameRange(text: string | undefined, frames: number): [number, number] {
  if (text === undefined) return [0, frames - 1];
  const match = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(text);
  if (!match) throw new UsageError(`--frames: expected a range like 0-23, got '${text}'`);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (from > to || to >= frames) throw new UsageError(`--frames: ${text} is outside frames 0-${frames - 1}`);
  return [from, to];
}

const num = (v: number) => String(Number(v.toFixed(4)));

type Column = [title: string, cell: (job: FrameJob) => string];

/** A motion value of one mode ('' on a frame of the other, which a plan never mixes). */
const motion2d = (pick: (m: Extract<FrameJob['motion'], { mode: '2D' }>) => number) => (j: FrameJob) => (j.motion.mode === '2D' ? num(pick(j.motion)) : '');
const motion3d = (pick: (m: Extract<FrameJob['motion'], { mode: '3D' }>) => number) => (j: FrameJob) => (j.motion.mode === '3D' ? num(pick(j.motion)) : '');

const leadingColumns: Column[] = [
  ['frame', (j) => String(j.frame)],
  ['diff', (j) => (j.diffused ? (j.frame === 0 ? j.source : 'yes') : '-')],
  ['seed', (j) => String(j.diffusion.seed)],
  ['steps', (j) => String(j.diffusion.steps)],
  ['sampler', (j) => canonicalSamplerName(j.diffusion)],
  ['cfg', (j) => num(j.diffusion.cfg)],
  ['strength', (j) => num(j.diffusion.strength)],
];
const trailingColumns: Column[] = [
  ['noise', (j) => num(j.prepare.noise.amount)],
  ['contrast', (j) => num(j.prepare.contrast)],
];
/** The motion columns of each mode: 2D's zoom and angle, or the 3D camera's translation, rotation and lens. */
const motionColumns: Record<'2D' | '3D', Column[]> = {
  '2D': [['zoom', motion2d((m) => m.zoom)], ['angle', motion2d((m) => m.angle)], ['tx', motion2d((m) => m.translationX)], ['ty', motion2d((m) => m.translationY)]],
  '3D': [
    ['tx', motion3d((m) => m.translationX)],
    ['ty', motion3d((m) => m.translationY)],
    ['tz', motion3d((m) => m.translationZ)],
    ['rx', motion3d((m) => m.rotationX)],
    ['ry', motion3d((m) => m.rotationY)],
    ['rz', motion3d((m) => m.rotationZ)],
    ['fov', motion3d((m) => m.fov)],
  ],
};

/** The jobs of frames from…to (inclusive), stopping the plan there. */
function* framesBetween(jobs: Iterable<FrameJob>, from: number, to: number): Generator<FrameJob> {
  for (const job of jobs) {
    if (job.frame > to) return;
    if (job.frame >= from) yield job;
  }
}

const promptText = (p: FrameJob['diffusion']['prompt']) => (p.negative ? `${p.positive} --neg ${p.negative}` : p.positive);

/** The table's lines, header first; column widths from a first pass, so no cell is kept (10⁶ frames × 13 cells). */
function* tableLines(jobs: () => Iterable<FrameJob>, mode: '2D' | '3D'): Generator<string> {
  const columns = [...leadingColumns, ...motionColumns[mode], ...trailingColumns];
  const widths = columns.map(([title]) => title.length);
  for (const job of jobs()) columns.forEach(([, cell], i) => (widths[i] = Math.max(widths[i], cell(job).length)));
  const line = (row: string[], prompt: string) => `${row.map((c, i) => (i === 4 || i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}  ${prompt}`.trimEnd();
  yield line(columns.map(([title]) => title), 'prompt');
  for (const job of jobs()) {
    const blend = job.diffusion.promptBlend ? `  ⟶ ${promptText(job.diffusion.promptBlend.next)} (w=${num(job.diffusion.promptBlend.weight)})` : '';
    yield line(columns.map(([, cell]) => cell(job)), promptText(job.diffusion.prompt) + blend);
  }
}

/** Which per-frame values the Parseq manifest gives and which the file's own schedules (Deforum's adapter table). */
function parseqLine(manifest: ParseqManifest, animation: Animation): string {
  const { parseq, file, unused } = parseqSources(manifest, animation);
  const unusedText = unused.length > 0 ? `; in the manifest but not used in ${animation.animationMode}${animation.enablePerspectiveFlip ? '' : ' without the perspective flip'}: ${unused.join(', ')}` : '';
  return `parseq ${animation.parseq!.manifest}: from Parseq: ${parseq.join(', ') || 'nothing'}; from the file: ${file.join(', ') || 'nothing'}${unusedText}`;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('show what every frame will get: prompt, seed, steps, sampler, cfg, strength, motion …')
    .argument('<file>', 'keyframe JSON file')
    .option('--json', 'print the FrameJobs as a JSON array, one per line')
    .option('--frames <range>', 'only frames A-B (inclusive)')
    .option('--seed <s>', 'the run seed (needed to reproduce a file whose seed is -1)', integerOption(0, MAX_SEED))
    .action(async (file: string, options: { json?: boolean; frames?: string; seed?: number }) => {
      const { animation, warnings, planWarnings, parseq } = await loadAnimation(file);
      const [from, to] = frameRange(options.frames, animation.frames);
      const run = resolveRunSeed(animation.seed, options.seed);
      if (run.source === 'random') process.stderr.write(`deforum: note: ${file} has seed -1: using ${run.seed}, picked at random (pass --seed ${run.seed} to repeat)\n`);
      const poses = await loadUnitPoseInputs(animation.controlnet, { baseDir: path.dirname(path.resolve(file)), frames: animation.frames });
      // Validation has located most of the plan's warnings already: each is said once. Planned twice for the table (column widths, then rows): a pass is cheap, holding a million jobs is not.
      const jobs = (): Iterable<FrameJob> => framesBetween(planFrames(animation, { seed: run.seed, poses, parseq, onWarning: (m) => planWarnings.has(m) || warnings.push(`${file}: ${m}`) }), from, to);
      // The plan's errors and warnings come from its set-up: run it before any output.
      jobs()[Symbol.iterator]().next();
      for (const warning of new Set(warnings)) process.stderr.write(`deforum: warning: ${warning}\n`);
      if (options.json) {
        await writeLines(process.stdout, jsonArrayLines(jobs()));
        return;
      }
      const name = animation.name ?? path.basename(file, path.extname(file));
      process.stdout.write(
        `${name}: ${animation.frames} frames, ${animation.width}x${animation.height} at ${animation.fps} fps, model ${animation.model}, ` +
          `seed ${run.seed} (${run.source}, ${animation.seedBehavior}), cadence ${animation.diffusionCadence}${animation.animationMode === '3D' ? `, 3D (depth ${animation.depth.warping ? `${animation.depth.algorithm}, ${animation.depth.model}` : 'flat'})` : ''}\n`,
      );
      if (parseq) process.stdout.write(`${parseqLine(parseq, animation)}\n`);
      await writeLines(process.stdout, tableLines(jobs, animation.animationMode));
    });
}
