/**
 * `deforum import` and Parseq: a manifest given as the file becomes a keyframe file that names it; a Deforum settings
 * file's `parseq_manifest` (the manifest pasted into Deforum's text box) is carried as a manifest file beside the
 * keyframe file, with Deforum's two switches (docs/deforum.md "Parseq manifests").
 */
import { KeyframeError } from '../errors.js';
import { parseParseqManifest, parseqOverrides, type ParseqManifest } from './parseq.js';
import type { AnimationInput } from './schema.js';

/** A Parseq manifest, not Deforum settings: it has rendered frames (Deforum's settings never do). */
export const isParseqManifest = (json: object): boolean => Array.isArray((json as { rendered_frames?: unknown }).rendered_frames);

/** Where an imported settings file's pasted manifest is written, beside the keyframe file. */
export const carriedManifestName = (name: string | undefined): string => `${name ?? 'deforum'}.parseq.json`;

/** Python's truthiness of a settings switch; absent is Deforum's default, on. */
const switchOn = (value: unknown): boolean => value === undefined || !(value === false || value === 0 || value === '' || value === null);

/**
 * The manifest a settings file carries, as text (Deforum's `parseq_manifest`: JSON, or a URL it downloads); none when
 * empty. A URL is refused for now: this renderer does not download it.
 */
export function pastedParseqManifest(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim() : value !== null && typeof value === 'object' ? JSON.stringify(value) : undefined;
  if (!text) return undefined;
  if (text.startsWith('http')) {
    throw new KeyframeError(`parseq_manifest: ${text.length > 80 ? `${text.slice(0, 79)}…` : text} is a URL, which is not downloaded: open it, save the manifest next to the keyframe file and set "parseq" to its file name`);
  }
  parseParseqManifest(text, 'parseq_manifest');
  return text;
}

/**
 * The keyframe file's `parseq` for a settings file's pasted manifest (written as `carriedManifestName(name)`), taking
 * the three Parseq settings. `take` reads a setting and marks it carried.
 */
export function carriedParseq(take: (key: string) => unknown, name: string | undefined): Pick<AnimationInput, 'parseq'> {
  const manifest = pastedParseqManifest(take('parseq_manifest'));
  const useDeltas = switchOn(take('parseq_use_deltas'));
  const overrides = switchOn(take('parseq_non_schedule_overrides'));
  return manifest === undefined ? {} : { parseq: { manifest: carriedManifestName(name), useDeltas, overrides } };
}

/** The fields only one mode's camera reads: Parseq does not record Deforum's animation mode, its fields hint at it. */
const only3d = ['translation_z', 'rotation_3d_x', 'rotation_3d_y', 'rotation_3d_z', 'fov', 'near', 'far'];
const only2d = ['zoom', 'angle', 'transform_center_x', 'transform_center_y'];

/**
 * A keyframe file rendering the manifest at `manifestPath` (relative to where the keyframe file goes): the manifest's
 * frame count, fps and cadence written out (its overrides give them anyway), frame 0's prompt as the file's prompt
 * (the manifest's replace it on every frame), and 3D when the manifest moves only a 3D camera.
 */
export function keyframesOfManifest(manifest: ParseqManifest, manifestPath: string, name: string): { animation: AnimationInput; notes: string[] } {
  const notes: string[] = [];
  const first = manifest.rendered_frames[0];
  const { frames, fps, diffusionCadence } = parseqOverrides(manifest, { manifest: manifestPath, useDeltas: true, overrides: true });
  const prompt = typeof first.deforum_prompt === 'string' ? first.deforum_prompt : undefined;
  if (prompt === undefined) notes.push('the manifest has no deforum_prompt (prompts off in Parseq): write the prompts under "prompts"');
  const managed = (fields: string[]) => fields.filter((field) => Object.hasOwn(first, field));
  const [fields3d, fields2d] = [managed(only3d), managed(only2d)];
  const animationMode = fields3d.length > 0 && fields2d.length === 0 ? '3D' : '2D';
  if (fields3d.length > 0) {
    notes.push(
      fields2d.length === 0
        ? `animationMode "3D": the manifest moves the 3D camera (${fields3d.join(', ')}); Parseq does not record Deforum's mode, set "2D" if you rendered in 2D`
        : `animationMode "2D": the manifest has 2D (${fields2d.join(', ')}) and 3D (${fields3d.join(', ')}) fields; Parseq does not record Deforum's mode, set "3D" if you rendered in 3D`,
    );
  }
  return {
    animation: {
      name,
      parseq: manifestPath,
      ...(frames !== undefined ? { frames } : {}),
      ...(fps !== undefined ? { fps } : {}),
      ...(diffusionCadence !== undefined ? { diffusionCadence } : {}),
      ...(animationMode === '3D' ? { animationMode } : {}),
      prompts: { 0: prompt ?? '' },
    },
    notes,
  };
}
