import type { Command } from 'commander';
import { DeforumError } from '../errors.js';
import { loadSharp } from '../image-file.js';
import { loadAnimation } from '../keyframes/load.js';
import { resolveRunSeed } from '../keyframes/seeds.js';
import { numericScheduleNames, scheduleIsUsed } from '../keyframes/schema.js';
import { buildPromptSchedule } from '../keyframes/prompts.js';
import { buildAnimationSchedules } from '../plan/plan.js';
import { outputFile } from './output.js';

interface Panel {
  title: string;
  values: ArrayLike<number>;
  keyframes: number[];
}

const WIDTH = 960;
const PANEL_HEIGHT = 96;
const GAP = 30;
const LEFT = 70;
const RIGHT = 20;
const TOP = 56;

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const label = (v: number) => String(Number(v.toPrecision(5)));

/** One panel per schedule over frames 0 … n−1, keyframes as dots, prompt changes as dashed lines on every panel. */
function drawSvg(name: string, panels: Panel[], frames: number, promptChanges: Array<{ frame: number; text: string }>): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP) + 40;
  const x = (frame: number) => LEFT + (frames > 1 ? (frame / (frames - 1)) * plotWidth : plotWidth / 2);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escapeXml(name)} — schedules over ${frames} frames</text>`,
  ];
  panels.forEach((panel, p) => {
    const top = TOP + p * (PANEL_HEIGHT + GAP);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < panel.values.length; i++) {
      min = Math.min(min, panel.values[i]);
      max = Math.max(max, panel.values[i]);
    }
    const span = max - min || Math.abs(max) || 1;
    const lo = max === min ? min - span / 2 : min;
    const hi = max === min ? max + span / 2 : max;
    const y = (v: number) => top + PANEL_HEIGHT - ((v - lo) / (hi - lo)) * PANEL_HEIGHT;
    parts.push(
      `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="#f7f7f9" stroke="#c8c8d0"/>`,
      `<text x="${LEFT}" y="${top - 6}" font-weight="bold">${escapeXml(panel.title)}</text>`,
      `<text x="${LEFT - 6}" y="${top + 10}" text-anchor="end">${label(hi)}</text>`,
      `<text x="${LEFT - 6}" y="${top + PANEL_HEIGHT}" text-anchor="end">${label(lo)}</text>`,
    );
    for (const change of promptChanges) {
      parts.push(`<line x1="${x(change.frame)}" y1="${top}" x2="${x(change.frame)}" y2="${top + PANEL_HEIGHT}" stroke="#d04a02" stroke-dasharray="4 3"/>`);
    }
    const points = Array.from({ length: panel.values.length }, (_, i) => `${x(i).toFixed(2)},${y(panel.values[i]).toFixed(2)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="#1f5fbf" stroke-width="1.6"/>`);
    for (const key of panel.keyframes) {
      parts.push(`<circle cx="${x(key).toFixed(2)}" cy="${y(panel.values[key]).toFixed(2)}" r="3.5" fill="#1f5fbf" stroke="#ffffff"/>`);
    }
  });
  const axis = TOP + panels.length * (PANEL_HEIGHT + GAP) - GAP + 14;
  const step = Math.max(1, Math.ceil(frames / 10));
  for (let f = 0; f < frames; f += step) parts.push(`<text x="${x(f)}" y="${axis}" text-anchor="middle">${f}</text>`);
  promptChanges.forEach((change, i) => {
    // Labels in the right third end at their line so they stay inside the picture.
    const right = x(change.frame) > LEFT + (2 * plotWidth) / 3;
    const text = escapeXml(change.text.slice(0, 40));
    parts.push(`<text x="${x(change.frame) + (right ? 5 : -5)}" y="${axis + 14 + (i % 2) * 12}" fill="#d04a02"${right ? ' text-anchor="end"' : ''}>${right ? `${text} ▲` : `▲ ${text}`}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function register(program: Command): void {
  program
    .command('plot')
    .description('draw the numeric schedules of a keyframe file to a PNG: one panel each, keyframes and prompt changes marked')
    .argument('<file>', 'keyframe JSON file')
    .requiredOption('-o, --output <png>', 'PNG file to write, e.g. schedules.png')
    .action(async (file: string, options: { output: string }) => {
      const output = outputFile(options.output);
      const { animation, parseq } = await loadAnimation(file);
      const { seed } = resolveRunSeed(animation.seed, animation.seed >= 0 ? undefined : 0);
      const schedules = buildAnimationSchedules(animation, { seed, parseq });
      const panels: Panel[] = [
        ...numericScheduleNames
          .filter((name) => scheduleIsUsed(name, animation.animationMode, animation.enablePerspectiveFlip))
          .map((name) => ({ title: name, values: schedules.numeric[name].values, keyframes: schedules.numeric[name].keyframes })),
        { title: 'steps', values: schedules.steps.values, keyframes: animation.schedules.steps === undefined ? [] : schedules.steps.keyframes },
      ];
      const prompts = buildPromptSchedule(schedules.parseq?.prompts ?? animation, { frames: animation.frames, seed });
      const promptAt = (frame: number) => prompts(frame).prompt;
      const promptChanges = Array.from({ length: animation.frames }, (_, frame) => frame)
        .filter((frame) => frame === 0 || promptAt(frame).positive !== promptAt(frame - 1).positive || promptAt(frame).negative !== promptAt(frame - 1).negative)
        .map((frame) => ({ frame, text: promptAt(frame).positive }));
      const svg = drawSvg(animation.name ?? file, panels, animation.frames, promptChanges);
      try {
        await (await loadSharp())(Buffer.from(svg)).png().toFile(output);
      } catch (error) {
        throw new DeforumError(`plot: cannot write ${options.output}: ${(error as Error).message}`, 1);
      }
      process.stdout.write(`${options.output}: ${panels.length} schedules over ${animation.frames} frames\n`);
    });
}
