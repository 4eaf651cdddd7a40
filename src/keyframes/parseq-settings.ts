/**
 * The keyframe file's `parseq` field: a Parseq manifest whose rendered frames replace the file's schedules, prompts
 * and seeds, with Deforum's two switches (`parseq_use_deltas`, `parseq_non_schedule_overrides`, both on by default;
 * docs/deforum.md "Parseq manifests"). The plain path is the same as both switches on.
 */
import { z } from 'zod';

export const ParseqSettingsSchema = z
  .union([
    z.string().min(1),
    z.strictObject({
      manifest: z.string().min(1).describe('the Parseq manifest (JSON with rendered_frames), path relative to this file'),
      useDeltas: z.boolean().default(true).describe('motion fields read <field>_delta, the change per frame (Deforum parseq_use_deltas)'),
      overrides: z.boolean().default(true).describe('the manifest\'s frame count, options.output_fps and options.cadence replace the file\'s (Deforum parseq_non_schedule_overrides)'),
    }),
  ])
  .transform((parseq) => (typeof parseq === 'string' ? { manifest: parseq, useDeltas: true, overrides: true } : parseq))
  .describe('a Parseq manifest: its fields replace the file\'s schedules frame by frame; a path, or {manifest, useDeltas, overrides}');

export type ParseqSettings = z.output<typeof ParseqSettingsSchema>;
