/**
 * `settings.json` of a render folder: what `render` wrote (the keyframe file's animation as rendered, its source, the
 * device asked for), read back by `resume`, `encode` and the seed reuse of a re-render. One schema for all three.
 */
import { z } from 'zod';
import { RenderError } from '../errors.js';
import { InputFileError, readRegularFile } from '../input-file.js';
import { AnimationSchema } from '../keyframes/schema.js';
import type { RenderFolder } from './render-folder.js';

export const RenderSettingsSchema = z.looseObject({
  source: z.string(),
  animation: AnimationSchema,
  device: z.looseObject({ requested: z.string().optional() }).optional(),
});
export type RenderSettings = z.infer<typeof RenderSettingsSchema>;

/** A settings file is a few kilobytes; a much larger one is not ours (and must not be read into memory whole). */
const MAX_SETTINGS_BYTES = 64 * 2 ** 20;

/**
 * The settings of a render folder, or a RenderError naming the file: missing (not a render folder), not a regular
 * file (a FIFO would block the read), not JSON, or not what `render` writes.
 */
export function readRenderSettings(folder: RenderFolder): RenderSettings {
  let text: string;
  try {
    text = readRegularFile(folder.settingsFile, MAX_SETTINGS_BYTES).toString('utf8');
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    if (error.kind === 'missing') throw new RenderError(`${folder.dir}: no settings.json here; is this a render folder (renders/<name>)?`);
    const is = error.kind === 'not-regular' ? 'is not a regular file' : error.reason;
    throw new RenderError(`${folder.settingsFile} ${is}; is this a render folder (renders/<name>)?`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RenderError(`${folder.settingsFile}: not valid JSON (${(error as Error).message})`);
  }
  const settings = RenderSettingsSchema.safeParse(json);
  if (!settings.success) throw new RenderError(`${folder.settingsFile}: not a deforum-ts render settings file (expected "source" and "animation")`);
  return settings.data;
}
