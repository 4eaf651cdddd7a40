import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSchedule } from '../../src/keyframes/schedule.js';

interface Case {
  schedule: string;
  frames: number;
  seed: number;
  values: number[];
}
const { cases } = JSON.parse(readFileSync(new URL('./deforum-reference.json', import.meta.url), 'utf8')) as { cases: Case[] };
// Transcendental functions may differ from numexpr's libm in the last bit; everything else must be bit-identical.
const transcendental = /sin|cos|exp|sqrt|arctan|\*\*/;

describe("schedules agree with Deforum's own parser on 160 random schedule strings", () => {
  const exact = cases.filter((c) => !transcendental.test(c.schedule));
  const approximate = cases.filter((c) => transcendental.test(c.schedule));

  it(`${exact.length} strings with numbers, t, max_f, s, %, comparisons and floor give bit-identical values`, () => {
    expect(exact.length).toBeGreaterThan(50);
    for (const c of exact) {
      const values = Array.from(buildSchedule(c.schedule, { frames: c.frames, seed: c.seed, name: 'schedule' }).values);
      expect({ schedule: c.schedule, values: values.map((v) => v + 0) }).toEqual({ schedule: c.schedule, values: c.values });
    }
  });

  it(`${approximate.length} strings with sin, cos, exp, sqrt, arctan, ** agree to the last bit of the libm`, () => {
    for (const c of approximate) {
      const values = buildSchedule(c.schedule, { frames: c.frames, seed: c.seed, name: 'schedule' }).values;
      c.values.forEach((expected, i) => expect(Math.abs(values[i] - expected)).toBeLessThanOrEqual(4.5e-16 * Math.max(1, Math.abs(expected))));
    }
  });
});
