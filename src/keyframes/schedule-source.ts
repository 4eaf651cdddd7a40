import { z } from 'zod';
import { interpolationNames } from '../numerics/interpolation.js';

/** Schedule values as users write them: Deforum strings, numbers or structured keyframes (shared by every schedule). */

const KeyframeValueSchema = z.union(
  [
  z.number(),
  z.string().describe('a number or an expression in t, max_f, s'),
  z.strictObject({
    value: z.union([z.number(), z.string()]).describe('a number or an expression in t, max_f, s'),
    interpolation: z.enum(interpolationNames).optional().describe('how the value moves from this key to the next (default linear)'),
  }),
  ],
  { error: 'expected a number, an expression string, or {"value": …, "interpolation": …}' },
);

export const NumericScheduleSourceSchema = z
  .union([
    z.string().describe('a Deforum schedule string, e.g. "0:(1.0), 30:(1.0025+0.002*sin(1.25*3.14*t/30))"'),
    z.number().describe('a constant'),
    z.record(z.string(), KeyframeValueSchema).describe('structured keyframes: {"0": 1, "30": {"value": 1.5, "interpolation": "cubic"}}'),
  ], { error: 'expected a schedule string like "0:(1), 30:(2)", a number, or keyframes like {"0": 1, "30": 2}' })
  .describe('a numeric schedule');
export type NumericScheduleSource = z.infer<typeof NumericScheduleSourceSchema>;

export const StringScheduleSourceSchema = z
  .union([
    z.string().describe('a Deforum string schedule, e.g. 0:("Euler a"), 30:("DPM++ 2M Karras")'),
    z.record(z.string(), z.string()).describe('structured keyframes: {"0": "euler_a", "30": "dpmpp_2m"}'),
  ], { error: 'expected a schedule string like 0:("euler_a"), 30:("dpmpp_2m") or keyframes like {"0": "euler_a"}' })
  .describe('a text schedule');
export type StringScheduleSource = z.infer<typeof StringScheduleSourceSchema>;
