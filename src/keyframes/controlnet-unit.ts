/**
 * One `controlnet` unit of the keyframe file: Deforum's per-unit settings (docs/deforum.md §e: weight, guidance start/end
 * schedules, control mode, resize mode) with the pose source the ControlNet module defines (`controlnet/pose-spec`).
 * A1111's display strings are accepted for the two modes and normalised to the short names.
 */
import { z } from 'zod';
import { CONTROL_MODE_NAMES, CONTROL_MODES, RESIZE_MODE_NAMES, RESIZE_MODES } from '../controlnet/modes.js';
import { PoseSourceSchema } from '../controlnet/pose-spec.js';
import { interpolationNames } from '../numerics/interpolation.js';
import { NumericScheduleSourceSchema } from './schedule-source.js';

/** An enum that also takes display names, written as one string enum so the editor JSON Schema lists them all. */
function namedEnum<T extends string>(canonical: readonly T[], names: Record<string, T>, what: string) {
  const accepted = [...canonical, ...Object.keys(names)] as [string, ...string[]];
  return z
    .enum(accepted, { error: `expected a ${what}: ${accepted.map((name) => `"${name}"`).join(', ')}` })
    .transform((value) => names[value] ?? (value as T));
}

export const ControlNetUnitSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('a disabled unit is ignored'),
    model: z.string().min(1).default('tiny-sd-controlnet-openpose').describe('a bundled ControlNet name or a path to a ControlNet ONNX folder'),
    pose: PoseSourceSchema,
    weight: NumericScheduleSourceSchema.default('0: (1)').describe('ControlNet weight per frame (Deforum cn_weight; 0 = off)'),
    guidanceStart: NumericScheduleSourceSchema.default('0: (0.0)').describe('fraction of the sampling steps where control starts'),
    guidanceEnd: NumericScheduleSourceSchema.default('0: (1.0)').describe('fraction of the sampling steps where control ends'),
    controlMode: namedEnum(CONTROL_MODES, CONTROL_MODE_NAMES, 'control mode')
      .default('balanced')
      .describe('balanced; prompt = "My prompt is more important" (soft per-block weights); controlnet = "ControlNet is more important" (soft weights, conditional half only)'),
    resizeMode: namedEnum(RESIZE_MODES, RESIZE_MODE_NAMES, 'resize mode')
      .default('inner-fit')
      .describe('how a pose canvas of another size fits the frame: just-resize (stretch), inner-fit (scale to cover, crop; Deforum\'s default), outer-fit (scale to fit, pad black)'),
    interpolation: z.enum(interpolationNames).default('linear').describe('how joints move between pose keyframes'),
  })
  .describe('a ControlNet unit steering every frame with a pose');

export type ControlNetUnit = z.infer<typeof ControlNetUnitSchema>;
export type ControlNetUnitInput = z.input<typeof ControlNetUnitSchema>;
