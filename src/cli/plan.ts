import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { MAX_SEED } from '../numerics/seed-range.js';
import { loadAnimation } from '../keyframes/load.js';
import { canonicalSamplerName } from '../sampler/sampler-names.js';
import { resolveRunSeed } from '../keyframes/seeds.js';
import type { FrameJob } from '../plan/frame-job.js';
import { planAnimation } from '../plan/plan.js';
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

const columns: Array<[string, (job: FrameJob) => string]> = [
  ['frame', (j) => String(j.frame)],
  ['diff', (j) => (j.diffused ? (j.frame === 0 ? j.source : 'yes') : '-')],
  ['seed', (j) => String(j.seed)],
  ['steps', (j) => String(j.steps)],
  ['sampler', (j) => canonicalSamplerName(j)],
  ['cfg', (j) => num(j.cfg)],
  ['strength', (j) => num(j.strength)],
  ['zoom', (j) => num(j.zoom)],
  ['angle', (j) => num(j.angle)],
  ['tx', (j) => num(j.translationX)],
  ['ty', (j) => num(j.translationY)],
  ['noise', (j) => num(j.noise)],
  ['contrast', (j) => num(j.contrast)],
];

const promptText = (p: FrameJob['prompt']) => (p.negative ? `${p.positive} --neg ${p.negative}` : p.positive);

/** The table's lines, header first; column widths from a first pass, so no cell is kept (10⁶ frames × 13 cells). */
function* tableLines(jobs: FrameJob[]): Generator<string> {
  const widths = columns.map(([title]) => title.length);
  for (const job of jobs) columns.forEach(([, cell], i) => (widths[i] = Math.max(widths[i], cell(job).length)));
  const line = (row: string[], prompt: string) => `${row.map((c, i) => (i === 4 || i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}  ${prompt}`.trimEnd();
  yield line(columns.map(([title]) => title), 'prompt');
  for (const job of jobs) {
    const blend = job.promptBlend ? `  ⟶ ${promptText(job.promptBlend.next)} (w=${num(job.promptBlend.weight)})` : '';
    yield line(columns.map(([, cell]) => cell(job)), promptText(job.prompt) + blend);
  }
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
      const { animation, warnings, planWarnings } = await loadAnimation(file);
      const [from, to] = frameRange(options.frames, animation.frames);
      const run = resolveRunSeed(animation.seed, options.seed);
      if (run.source === 'random') process.stderr.write(`deforum: note: ${file} has seed -1: using ${run.seed}, picked at random (pass --seed ${run.seed} to repeat)\n`);
      // validation has located most of the plan's warnings already: each is said once
      const jobs = planAnimation(animation, { seed: run.seed, onWarning: (m) => planWarnings.has(m) || warnings.push(`${file}: ${m}`) }).slice(from, to + 1);
      for (const warning of new Set(warnings)) process.stderr.write(`deforum: warning: ${warning}\n`);
      if (options.json) {
        await writeLines(process.stdout, jsonArrayLines(jobs));
        return;
      }
      const name = animation.name ?? path.basename(file, path.extname(file));
      process.stdout.write(
        `${name}: ${animation.frames} frames, ${animation.width}x${animation.height} at ${animation.fps} fps, model ${animation.model}, ` +
          `seed ${run.seed} (${run.source}, ${animation.seedBehavior}), cadence ${animation.diffusionCadence}\n`,
      );
      await writeLines(process.stdout, tableLines(jobs));
    });
}
