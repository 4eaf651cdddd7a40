import type { FrameValueLimit, Schedules } from './schema.js';

/** Checks on a schedule's per-frame values, worded for `validate`: limits that fail it, values it warns about. */

/** The first frame outside `limit` (values truncated, as the plan uses them, unless `aboveMin` or `fractional`), as a message. */
export function limitProblem(values: Float64Array, limit: FrameValueLimit): string | undefined {
  for (let frame = 0; frame < values.length; frame++) {
    const value = limit.aboveMin || limit.fractional ? values[frame] : Math.trunc(values[frame]);
    const written = value === values[frame] ? `${value}` : `${value} (${values[frame]} truncated)`;
    if (value > limit.max) return `frame ${frame} is ${written}, expected at most ${limit.max}`;
    if (limit.aboveMin ? value <= limit.min : value < limit.min) return `frame ${frame} is ${written}, expected ${limit.aboveMin ? 'above' : 'at least'} ${limit.min}`;
    if (limit.odd && value % 2 === 0) return `frame ${frame} is ${written}, expected an odd number (${limit.min}, ${limit.min + 2}, … ${limit.max})`;
  }
  return undefined;
}

/** The frames from `from` on where `test` holds, as "frames 10–14, 20 are"; after three runs only their count. */
function framesWhere(values: Float64Array, test: (value: number) => boolean, from: number): string | undefined {
  const runs: string[] = [];
  let runCount = 0;
  let count = 0;
  for (let frame = from; frame < values.length; frame++) {
    if (!test(values[frame])) continue;
    let end = frame;
    while (end + 1 < values.length && test(values[end + 1])) end++;
    if (runs.length < 3) runs.push(end === frame ? `${frame}` : `${frame}–${end}`);
    runCount++;
    count += end - frame + 1;
    frame = end;
  }
  if (count === 0) return undefined;
  const more = runCount > runs.length ? ` and ${runCount - runs.length} more run${runCount - runs.length === 1 ? '' : 's'}` : '';
  return `${count === 1 ? 'frame' : 'frames'} ${runs.join(', ')}${more} ${count === 1 ? 'is' : 'are'}`;
}

interface Suspect {
  /** The first frame the schedule is used on. */
  from: number;
  test: (value: number) => boolean;
  says: string;
}

/** Values the renderer takes but Deforum changes, or that work against the prompt. */
const suspects: Partial<Record<keyof Schedules, Suspect[]>> = {
  // Frame 0 never uses the strength schedule (docs/deforum.md §d); the plan clamps it as Deforum does.
  strength: [
    { from: 1, test: (v) => v > 1, says: 'above 1 (Deforum clamps strength to 0–1)' },
    { from: 1, test: (v) => v < 0, says: 'below 0 (Deforum clamps strength to 0–1)' },
  ],
  cfg: [{ from: 0, test: (v) => v < 0, says: 'negative (a negative CFG scale steers the image away from the prompt)' }],
  // A1111 multiplies img2img's start noise by it (docs/sd-pipeline.md §4.2): at 0 the frame gets no fresh noise at all.
  noiseMultiplier: [{ from: 0, test: (v) => v <= 0, says: '0 or below (it scales the noise img2img starts from: 0 adds none)' }],
};

/** Warnings about schedule `name`'s values, each naming the frames. */
export function frameValueWarnings(name: keyof Schedules, values: Float64Array): string[] {
  return (suspects[name] ?? []).flatMap(({ from, test, says }) => {
    const frames = framesWhere(values, test, from);
    return frames ? [`${frames} ${says}`] : [];
  });
}
