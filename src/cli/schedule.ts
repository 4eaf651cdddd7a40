import { InvalidArgumentError, type Command } from 'commander';
import { KeyframeError } from '../errors.js';
import { MAX_SEED } from '../numerics/seed-range.js';
import { buildSchedule } from '../keyframes/schedule.js';
import { NumericScheduleSourceSchema, type NumericScheduleSource } from '../keyframes/schema.js';
import { validateJsonText } from '../keyframes/validate.js';

/** A commander parser for whole numbers in [min, max]; a bad value is a usage error (exit 2). */
export const integerOption = (min: number, max = Number.MAX_SAFE_INTEGER) => (value: string): number => {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}.`);
  return n;
};

/** Structured keyframes may be given as JSON on the command line too, checked as a keyframe file's schedule is. */
function scheduleSource(text: string): NumericScheduleSource {
  if (!text.trimStart().startsWith('{')) return text;
  const { value, problems } = validateJsonText(text, NumericScheduleSourceSchema);
  if (value !== undefined) return value;
  const [first] = problems;
  const where = first.path === 'JSON' ? `: position ${first.column}` : first.path === '(top level)' ? '' : first.path.startsWith('[') ? first.path : `.${first.path}`;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  throw new KeyframeError(`schedule${where}: ${first.message}${more}`);
}

export function register(program: Command): void {
  program
    .command('schedule')
    .description('evaluate one schedule (a Deforum schedule string or structured keyframes as JSON) and print each frame\'s value')
    .argument('<schedule>', 'e.g. "0:(1.0), 30:(1.0025+0.002*sin(1.25*3.14*t/30))" or \'{"0": 1, "30": {"value": 2, "interpolation": "easeInOutSine"}}\'')
    .requiredOption('--frames <n>', 'number of frames (Deforum max_frames)', integerOption(1, 1_000_000))
    .option('--seed <s>', 'the value of s in expressions (Deforum passes -1 where no seed is known)', integerOption(-1, MAX_SEED), -1)
    .option('--integer', 'truncate toward zero, as the steps and seed schedules are')
    .option('--json', 'print a JSON array of numbers')
    .action((text: string, options: { frames: number; seed: number; integer?: boolean; json?: boolean }) => {
      const schedule = buildSchedule(
        scheduleSource(text),
        { frames: options.frames, seed: options.seed, name: 'schedule', onWarning: (m) => process.stderr.write(`deforum: warning: ${m}\n`) },
        { integer: options.integer },
      );
      const values = Array.from(schedule.values);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(values)}\n`);
        return;
      }
      const width = String(options.frames - 1).length;
      const keys = new Set(schedule.keyframes);
      process.stdout.write(values.map((v, i) => `${String(i).padStart(width)}  ${v}${keys.has(i) ? '  (key)' : ''}\n`).join(''));
    });
}
