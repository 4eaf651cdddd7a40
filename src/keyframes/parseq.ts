/**
 * Parseq manifests (rewbs/sd-parseq's "rendered frames" JSON) read exactly as Deforum's ParseqAdapter reads them
 * (docs/deforum.md "Parseq manifests"; parseq_adapter.py and render.py @3224268, Parseq 0.1.112): a field is managed
 * when the first rendered frame has it, and its per-frame series then replaces the keyframe file's schedule; the
 * motion fields read `<field>_delta` with `useDeltas`; the frame count, fps and cadence come from the manifest with
 * `overrides`. Pure: the manifest file is read by `loadParseqManifest` (load.ts).
 */
import { z } from 'zod';
import type { ControlNetUnit } from './controlnet-unit.js';
import { KeyframeError } from '../errors.js';
import { limitProblem } from './frame-value-checks.js';
import { plainIssueText, shown } from '../issue-text.js';
import type { ParseqSettings } from './parseq-settings.js';
import type { PromptSettings } from './prompts.js';
import { scheduleOfValues, type Schedule } from './schedule.js';
import { frameValueLimits, isNumericScheduleName, maxPromptCharacters, numericScheduleNames, scheduleIsUsed, type Animation, type NumericScheduleName } from './schema.js';
import { formatPath } from './validate.js';

/** Parseq writes `output_fps` as a number, older versions as a string ("30"); "" (or 0) is "not set" to Deforum. */
const optionNumber = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const number = typeof value === 'number' ? value : value.trim() === '' ? 0 : Number(value);
  if (Number.isFinite(number)) return number;
  ctx.addIssue({ code: 'custom', message: `expected a number, got ${JSON.stringify(value.toString().slice(0, 40))}` });
  return z.NEVER;
});

const RenderedFrameSchema = z.looseObject({ frame: z.int().min(0).describe('the frame number') });

/** The parts of a manifest Deforum reads; the rest (meta, keyframes, prompts, rendered_frames_meta …) is kept as it is. */
export const ParseqManifestSchema = z.looseObject({
  options: z.looseObject({ output_fps: optionNumber.optional(), cadence: optionNumber.optional() }).optional(),
  rendered_frames: z.array(RenderedFrameSchema).min(1, 'expected at least one rendered frame'),
});
export type ParseqManifest = z.infer<typeof ParseqManifestSchema>;
type RenderedFrame = ParseqManifest['rendered_frames'][number];

/** The manifest's text as a manifest; `where` (its path as the keyframe file gives it) starts every message. */
export function parseParseqManifest(text: string, where: string): ParseqManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KeyframeError(`${where}: not a Parseq manifest: invalid JSON (${(error as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json) || !('rendered_frames' in json)) {
    throw new KeyframeError(`${where}: not a Parseq manifest: no "rendered_frames" (in Parseq, copy the manifest with its rendered frames, not the document)`);
  }
  const parsed = ParseqManifestSchema.safeParse(json, { error: plainIssueText });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new KeyframeError(`${where}: ${formatPath(issue.path as Array<string | number>)}: ${issue.message}`);
}

/** Deforum's frame count, fps and cadence when the manifest overrides them (`parseq_non_schedule_overrides`). */
export interface ParseqOverrides {
  frames?: number;
  fps?: number;
  diffusionCadence?: number;
}

/**
 * What `overrides` changes: the frame count is the number of rendered frames (entries, not the highest frame + 1), fps
 * and cadence are the options' when set and non-zero (Deforum's truthiness); the cadence is int()'d as render.py does.
 */
export function parseqOverrides(manifest: ParseqManifest, settings: ParseqSettings): ParseqOverrides {
  if (!settings.overrides) return {};
  const where = settings.manifest;
  const overrides: ParseqOverrides = { frames: manifest.rendered_frames.length };
  const fps = manifest.options?.output_fps;
  if (fps) {
    if (!(fps > 0 && fps <= 240)) throw new KeyframeError(`${where}: options.output_fps: expected a number above 0 and at most 240, got ${fps}`);
    overrides.fps = fps;
  }
  const cadence = manifest.options?.cadence;
  if (cadence) {
    const whole = Math.trunc(cadence);
    if (!(whole >= 1 && whole <= 100)) throw new KeyframeError(`${where}: options.cadence: expected 1-100 (Deforum takes int() of it), got ${cadence}`);
    overrides.diffusionCadence = whole;
  }
  if (overrides.frames! > 1_000_000) throw new KeyframeError(`${where}: rendered_frames: ${overrides.frames} frames, expected at most 1000000`);
  return overrides;
}

/** The animation with the manifest's overrides applied (fps in both places the schema keeps it). */
export function withParseqOverrides(animation: Animation, manifest: ParseqManifest): Animation {
  if (!animation.parseq) return animation;
  const { frames, fps, diffusionCadence } = parseqOverrides(manifest, animation.parseq);
  return {
    ...animation,
    ...(frames !== undefined ? { frames } : {}),
    ...(diffusionCadence !== undefined ? { diffusionCadence } : {}),
    ...(fps !== undefined ? { fps, output: { ...animation.output, fps } } : {}),
  };
}

/** Schedules a manifest can manage: the numeric ones and the noise multiplier. */
export type ParseqScheduleName = NumericScheduleName | 'noiseMultiplier';
type UnitScheduleName = 'weight' | 'guidanceStart' | 'guidanceEnd';

/** Motion fields: with `useDeltas` Deforum reads `<field>_delta`, the change from the previous frame (1 + it for zoom). */
const motionFields: ReadonlyArray<[string, ParseqScheduleName]> = [
  ['angle', 'angle'], ['zoom', 'zoom'], ['translation_x', 'translationX'], ['translation_y', 'translationY'], ['translation_z', 'translationZ'],
  ['rotation_3d_x', 'rotation3dX'], ['rotation_3d_y', 'rotation3dY'], ['rotation_3d_z', 'rotation3dZ'],
  ['perspective_flip_theta', 'perspectiveFlipTheta'], ['perspective_flip_phi', 'perspectiveFlipPhi'], ['perspective_flip_gamma', 'perspectiveFlipGamma'],
];
/**
 * Fields read as absolute values: those the adapter names (scale is the CFG scale) and those its attribute fallback
 * finds by the Deforum series name without `_schedule`/`_series` (transform centre, noise multiplier, aspect ratio).
 */
const absoluteFields: ReadonlyArray<[string, ParseqScheduleName]> = [
  ['scale', 'cfg'], ['strength', 'strength'], ['noise', 'noise'], ['contrast', 'contrast'], ['noise_multiplier', 'noiseMultiplier'],
  ['transform_center_x', 'transformCenterX'], ['transform_center_y', 'transformCenterY'], ['perspective_flip_fv', 'perspectiveFlipFv'],
  ['fov', 'fov'], ['near', 'near'], ['far', 'far'], ['aspect_ratio', 'aspectRatio'],
  ['antiblur_kernel', 'antiBlurKernel'], ['antiblur_sigma', 'antiBlurSigma'], ['antiblur_amount', 'antiBlurAmount'], ['antiblur_threshold', 'antiBlurThreshold'],
];
const unitFields: ReadonlyArray<[string, UnitScheduleName]> = [['weight', 'weight'], ['guidance_start', 'guidanceStart'], ['guidance_end', 'guidanceEnd']];
/** Deforum's ControlNet schedules `cn_<N>_weight`, … of unit N (1-based). */
const unitField = /^cn_([1-9]\d?)_(weight|guidance_start|guidance_end)$/;

/** The Parseq field each schedule reads under these settings. */
function scheduleFields(settings: ParseqSettings): Array<[string, ParseqScheduleName]> {
  return [...motionFields.map(([field, ours]): [string, ParseqScheduleName] => [settings.useDeltas ? `${field}_delta` : field, ours]), ...absoluteFields];
}

/** Where a frame's value comes from, as the adapter reads the manifest for an animation of `frames` frames. */
interface FrameSources {
  /** Per frame, the entry (index into rendered_frames) whose value it takes. */
  entryOf: Int32Array;
  duplicates: number[];
}

/**
 * `parseq_to_series`: entries in file order, those at or past the last frame skipped, a later entry replacing an
 * earlier one of the same frame; then from the frame of the *last entry in the file* to the end, that entry (the "fill
 * past the end", which also overwrites later frames of an unsorted manifest). A frame still without an entry is an
 * error here (Deforum would carry NaN into the render).
 */
function frameSources(manifest: ParseqManifest, frames: number, where: string): FrameSources {
  const entries = manifest.rendered_frames;
  const entryOf = new Int32Array(frames).fill(-1);
  const duplicates: number[] = [];
  entries.forEach(({ frame }, index) => {
    if (frame >= frames) return;
    if (entryOf[frame] >= 0) duplicates.push(frame);
    entryOf[frame] = index;
  });
  for (let frame = entries[entries.length - 1].frame; frame < frames; frame++) entryOf[frame] = entries.length - 1;
  const missing = entryOf.indexOf(-1);
  if (missing >= 0) throw new KeyframeError(`${where}: rendered_frames has no frame ${missing} (the animation has frames 0-${frames - 1}; Parseq writes every frame)`);
  return { entryOf, duplicates };
}

/** One field's value on every frame; a missing or wrong value names the entry, its frame and the field. */
function series<T>(manifest: ParseqManifest, sources: FrameSources, field: string, read: (value: unknown) => T | undefined, expected: string, where: string): T[] {
  const checked = new Map<number, T>();
  const valueOf = (index: number): T => {
    const known = checked.get(index);
    if (known !== undefined) return known;
    const entry: RenderedFrame = manifest.rendered_frames[index];
    const at = `${where}: rendered_frames[${index}] (frame ${entry.frame})`;
    if (!Object.hasOwn(entry, field)) throw new KeyframeError(`${at}: no ${field}, which the first rendered frame has (a managed field must be on every frame)`);
    const value = read(entry[field]);
    if (value === undefined) throw new KeyframeError(`${at}: ${field}: expected ${expected}, got ${shown(entry[field])}`);
    checked.set(index, value);
    return value;
  };
  return Array.from(sources.entryOf, valueOf);
}

const finiteNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const promptText = (value: unknown): string | undefined => (typeof value === 'string' && value.length <= maxPromptCharacters ? value : undefined);
const numbers = (values: number[]) => Float64Array.from(values);

/** What the manifest gives an animation: per managed field its series, and what is not used, as messages. */
export interface ParseqSeries {
  schedules: Partial<Record<ParseqScheduleName, Schedule>>;
  /** By ControlNet unit index (0-based): its managed schedules. */
  controlnet: Array<Partial<Record<UnitScheduleName, Schedule>> | undefined>;
  /** The frames' prompts (`deforum_prompt`) as prompt keys on every frame, with no global prompts; when managed. */
  prompts?: PromptSettings;
  /**
   * When `seed` is managed: render.py's `int(seed)`, and Parseq's variation seed (`int(subseed)`, the strength as
   * written) where the manifest has them.
   */
  seeds?: { seed: Schedule; subseed?: Schedule; subseedStrength?: Schedule };
  /** Duplicated frames, fields the renderer does not have: one line each. */
  warnings: string[];
}

/** Frames listed short: "6, 9 and 3 more". */
const someFrames = (frames: number[]) => `${frames.slice(0, 5).join(', ')}${frames.length > 5 ? ` and ${frames.length - 5} more` : ''}`;

/** Fields of the first rendered frame not used here (Parseq's `_delta`/`_pc` companions aside), as the warning lists them. */
function unusedFields(first: RenderedFrame, settings: ParseqSettings, units: readonly ControlNetUnit[]): string[] {
  const read = new Set<string>(['frame', 'deforum_prompt', 'seed', 'subseed', 'subseed_strength', ...scheduleFields(settings).map(([field]) => field)]);
  return Object.keys(first).flatMap((field) => {
    const base = field.replace(/_(delta|pc)$/, '');
    if (read.has(field) || (base !== field && Object.hasOwn(first, base))) return [];
    // The absolute motion fields when deltas are read (Deforum reads one or the other); the prompt weights, which
    // Parseq has already folded into deforum_prompt (parseq-renderer.ts: `${prompt_weight_1}` in the prompts).
    if (motionFields.some(([motion]) => motion === field) || /^prompt_weight_\d+$/.test(field)) return [];
    const unit = unitField.exec(field);
    if (!unit) return [field];
    return Number(unit[1]) > units.length ? [`${field} (the file has no controlnet[${Number(unit[1]) - 1}])`] : [];
  });
}

/**
 * The manifest's series for `animation` (its frame count already overridden, `withParseqOverrides`), as Deforum's
 * render loop reads them; `animation.parseq` must be set.
 */
export function parseqSeries(manifest: ParseqManifest, animation: Animation): ParseqSeries {
  const settings = animation.parseq!;
  const where = settings.manifest;
  const first = manifest.rendered_frames[0];
  const sources = frameSources(manifest, animation.frames, where);
  const numeric = (field: string) => series(manifest, sources, field, finiteNumber, 'a number', where);
  const managed = (field: string) => Object.hasOwn(first, field);

  const schedules: ParseqSeries['schedules'] = {};
  for (const [field, ours] of scheduleFields(settings)) {
    if (!managed(field)) continue;
    const values = numbers(numeric(field));
    const limit = frameValueLimits[ours];
    const problem = limit && (!isNumericScheduleName(ours) || scheduleIsUsed(ours, animation.animationMode, animation.enablePerspectiveFlip)) ? limitProblem(values, limit) : undefined;
    if (problem) throw new KeyframeError(`${where}: ${field}: ${problem}`);
    schedules[ours] = scheduleOfValues(values, []);
  }
  const controlnet: ParseqSeries['controlnet'] = animation.controlnet.map((unit, index) => {
    if (!unit.enabled) return undefined;
    const unitSchedules: Partial<Record<UnitScheduleName, Schedule>> = {};
    for (const [suffix, ours] of unitFields) {
      const field = `cn_${index + 1}_${suffix}`;
      if (managed(field)) unitSchedules[ours] = scheduleOfValues(numbers(numeric(field)), []);
    }
    return Object.keys(unitSchedules).length > 0 ? unitSchedules : undefined;
  });
  const prompts = managed('deforum_prompt')
    ? series(manifest, sources, 'deforum_prompt', promptText, `a prompt text of at most ${maxPromptCharacters} characters`, where)
    : undefined;
  // render.py: args.seed = int(seed); root.subseed = int(subseed); root.subseed_strength as it is. (`+ 0`: no −0.)
  const whole = (field: string) => scheduleOfValues(Float64Array.from(numeric(field), (v) => Math.trunc(v) + 0), []);
  const seeds = managed('seed')
    ? {
        seed: whole('seed'),
        ...(managed('subseed') ? { subseed: whole('subseed') } : {}),
        ...(managed('subseed_strength') ? { subseedStrength: scheduleOfValues(numbers(numeric('subseed_strength')), []) } : {}),
      }
    : undefined;

  const warnings: string[] = [];
  if (sources.duplicates.length > 0) {
    const frames = [...new Set(sources.duplicates)];
    warnings.push(`${where}: rendered_frames defines frame${frames.length === 1 ? '' : 's'} ${someFrames(frames)} more than once; the later entry wins, as in Deforum`);
  }
  const unused = unusedFields(first, settings, animation.controlnet);
  if (unused.length > 0) warnings.push(`${where}: fields this renderer does not have, left out: ${unused.slice(0, 12).join(', ')}${unused.length > 12 ? ` and ${unused.length - 12} more` : ''}`);
  return {
    schedules,
    controlnet,
    ...(prompts ? { prompts: { prompts: Object.fromEntries(prompts.map((prompt, frame) => [String(frame), prompt])), positivePrompt: '', negativePrompt: '', promptInterpolation: false } } : {}),
    ...(seeds ? { seeds } : {}),
    warnings,
  };
}

/** Which of the animation's per-frame values come from the manifest and which from the file, for `deforum plan`. */
export function parseqSources(manifest: ParseqManifest, animation: Animation): { parseq: string[]; file: string[]; unused: string[] } {
  const settings = animation.parseq!;
  const first = manifest.rendered_frames[0];
  const managed = new Set(scheduleFields(settings).filter(([field]) => Object.hasOwn(first, field)).map(([, ours]) => ours));
  const used = (name: ParseqScheduleName) => name === 'noiseMultiplier' || scheduleIsUsed(name, animation.animationMode, animation.enablePerspectiveFlip);
  const overrides = parseqOverrides(manifest, settings);
  const parseq: string[] = [];
  const file: string[] = [];
  const unused: string[] = [];
  for (const [name, value] of [['frames', overrides.frames], ['fps', overrides.fps], ['cadence', overrides.diffusionCadence]] as const) (value === undefined ? file : parseq).push(name);
  (Object.hasOwn(first, 'deforum_prompt') ? parseq : file).push('prompts');
  (Object.hasOwn(first, 'seed') ? parseq : file).push('seed');
  for (const name of [...numericScheduleNames, 'noiseMultiplier'] as const) {
    if (!used(name)) {
      if (managed.has(name)) unused.push(name);
      continue;
    }
    (managed.has(name) ? parseq : file).push(name);
  }
  animation.controlnet.forEach((unit, index) => {
    if (!unit.enabled) return;
    for (const [suffix, ours] of unitFields) (Object.hasOwn(first, `cn_${index + 1}_${suffix}`) ? parseq : file).push(`controlnet[${index}].${ours}`);
  });
  return { parseq, file, unused };
}
