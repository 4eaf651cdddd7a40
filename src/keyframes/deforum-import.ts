import { KeyframeError } from '../errors.js';
import { canonicalSamplerName, resolveSamplerName, samplerFromIndex, type ResolvedSampler } from '../sampler/sampler-names.js';
import { importControlNetUnits, type ImportedField, type ImportedFile } from './deforum-controlnet.js';
import { importCamera } from './deforum-camera.js';
import { features, notIn2D } from './deforum-features.js';
import { settingsShape } from './deforum-settings-shapes.js';
import { cleanPath, cut, number, preview, text } from './deforum-values.js';
import type { AnimationInput, colorCoherenceModes } from './schema.js';
import { defaultSeedSchedule, deforumScheduleNames, schedules2dOnly, seedBehaviors } from './schema.js';
import { carriedParseq } from './parseq-import.js';

/**
 * Converts a Deforum settings file — saved by the A1111 extension (`<timestring>_settings.txt`, docs/deforum.md §g), its
 * Forge fork, or the Colab/local notebook — into a keyframe file. Features the renderer does not have are listed, one
 * line per feature, not guessed; switched-off features and settings that do nothing are dropped silently.
 */

export interface DeforumImport {
  animation: AnimationInput;
  /** What the file uses that this file does not carry: one line per feature, ControlNet unit or field. */
  notCarried: string[];
  /** Fields carried with a change the renderer would make anyway (a size floored to a multiple of 8). */
  notes: string[];
  /** Where each carried field came from, for messages that point into the settings file. */
  origins: ImportedField[];
  /** The files the keyframe file names (init image, colour sample, soundtrack, ControlNet inputs), as written. */
  files: ImportedFile[];
}

export type { ImportedField, ImportedFile };

type Segment = ImportedField['field'][number];

/** A problem with the settings file itself, at the JSON path `at` of the file. */
export class SettingsFieldError extends KeyframeError {
  constructor(
    readonly at: Segment[],
    message: string,
  ) {
    super(message);
  }
}

/**
 * The settings file's JSON path behind a keyframe file field: the setting it was carried from, then the rest of the
 * path (a prompt's key is the same key there); the top level when nothing carried it.
 */
export function settingsFieldOf(origins: readonly ImportedField[], field: readonly Segment[]): Segment[] {
  let best: ImportedField | undefined;
  for (const origin of origins) {
    const prefix = origin.field.length <= field.length && origin.field.every((segment, i) => segment === field[i]);
    if (prefix && origin.field.length > (best?.field.length ?? -1)) best = origin;
  }
  return best ? [best.from, ...field.slice(best.field.length)] : [];
}

type Settings = Record<string, unknown>;

/*
 * The file's keys are a stranger's text: every table they are looked up in is a Map (or a Set), so that a key such as
 * `constructor` or `__proto__` finds nothing Object.prototype has.
 */

/**
 * The schedules Deforum reads only behind a switch (docs/deforum.md §c, §d "Other schedules"); a file without the switch
 * gets Deforum's default for it: the noise multiplier is on, steps and sampler scheduling are off. The seed schedule
 * counts with seed_behavior "schedule" only; its default is what the schema fills in anyway.
 */
const scheduleSwitches: ReadonlyMap<string, (s: Settings) => boolean> = new Map<string, (s: Settings) => boolean>([
  ['steps', (s) => s.enable_steps_scheduling === true],
  ['sampler', (s) => s.enable_sampler_scheduling === true],
  ['noiseMultiplier', (s) => (s.enable_noise_multiplier_scheduling ?? true) === true],
  ['seed', (s) => s.seed_behavior === 'schedule' && s.seed_schedule !== defaultSeedSchedule],
]);

const colorModes: ReadonlyMap<string, (typeof colorCoherenceModes)[number]> = new Map([['None', 'none'], ['LAB', 'lab'], ['HSV', 'hsv'], ['RGB', 'rgb'], ['Image', 'image']]);

/** Fields that are metadata, UI or output-folder state, memory options, or read together with a carried field. */
const metadata = new Set([
  'show_info_on_ui', 'batch_name', 'sd_model_hash', 'deforum_git_commit_id', 'resume_from_timestring', 'resume_timestring',
  'motion_preview_mode', 'store_frames_in_ram', 'delete_imgs', 'delete_input_frames', 'overwrite_extracted_frames',
  'strength_0_no_init', 'legacy_colormatch', 'override_settings_with_file', 'custom_settings_file', 'histogram_matching',
  'parseq_use_deltas', 'parseq_non_schedule_overrides', 'pix2pix_img_cfg_scale_schedule', 'skip_video_creation',
  'animation_prompts', 'prompts', 'positive_prompts', 'negative_prompts', 'animation_prompts_positive',
  'animation_prompts_negative', 'use_init', 'init_image', 'strength', 'color_coherence_image_path', 'soundtrack_path',
  'add_soundtrack', 'enable_steps_scheduling', 'enable_sampler_scheduling', 'enable_noise_multiplier_scheduling',
  // the notebook's run state and output options (DeforumArgs)
  'n_batch', 'n_samples', 'filename_format', 'make_grid', 'grid_rows', 'outdir', 'save_samples', 'save_settings',
  'display_samples', 'save_sample_per_step', 'show_sample_per_step', 'prompt_weighting', 'normalize_prompt_weights',
  'log_weighted_subprompts', 'bit_depth_output', 'precision', 'C', 'f', 'prompt', 'timestring', 'init_latent',
  'init_sample', 'init_sample_raw', 'mask_sample', 'init_c', 'seed_internal', 'models_path', 'output_path',
  // the 2022 extension's video settings (its DeforumOutputArgs): ffmpeg's location and a manual encode's paths
  'ffmpeg_location', 'output_format', 'use_manual_settings', 'render_steps', 'path_name_modifier', 'image_path', 'mp4_path',
  'max_video_frames',
]);

/** Settings whose value here means "not used". */
const inactiveValues: ReadonlyMap<string, unknown[]> = new Map(Object.entries({
  seed_resize_from_w: [0],
  seed_resize_from_h: [0],
  subseed: [-1],
  subseed_strength: [0],
  ddim_eta: [0],
  firstphase_width: [0],
  firstphase_height: [0],
  scheduler: ['Automatic'],
}));

/**
 * Undoes Deforum's global merge `f"{positive} {val} {'' if '--neg' in val else '--neg'} {negative}"` (docs/deforum.md §b),
 * so the prompt and the globals are carried separately and merged once at render time.
 */
export function unmergePrompt(prompt: string, positivePrompt: string, negativePrompt: string): string {
  const negative = negativePrompt.replaceAll('--neg', '');
  const prefix = `${positivePrompt} `;
  const suffix = ` ${negative}`;
  if (!prompt.startsWith(prefix) || !prompt.endsWith(suffix) || prompt.length < prefix.length + suffix.length) return prompt;
  const value = prompt.slice(prefix.length, prompt.length - suffix.length);
  return (value.endsWith(' --neg') && !value.slice(0, -' --neg'.length).includes('--neg') ? value.slice(0, -' --neg'.length) : value).trim();
}

/** Replicate's deforum_stable_diffusion prompt text: `"0: a cat | 30: a dog"`, or one prompt for frame 0. */
function pipedPrompts(value: string): Record<string, string> | undefined {
  const parts = value.split('|');
  if (parts.length === 1) return value.trim().startsWith('{') ? undefined : { 0: value.trim() };
  const keyed = parts.map((part) => /^\s*(\d+)\s*:(.*)$/s.exec(part));
  return keyed.every((m) => m !== null) ? Object.fromEntries(keyed.map((m) => [m![1], m![2].trim()])) : undefined;
}

function promptsOf(settings: Settings): { key: string; prompts: Record<string, string> } {
  const key = settings.prompts === undefined && settings.animation_prompts !== undefined ? 'animation_prompts' : 'prompts';
  let prompts = settings[key];
  if (typeof prompts === 'string') {
    const written = prompts;
    try {
      prompts = JSON.parse(written) as unknown;
    } catch {
      prompts = pipedPrompts(written);
      if (!prompts) throw new SettingsFieldError([key], `${key}: not valid JSON (Deforum: "check your prompts with a JSON validator")`);
    }
  }
  if (prompts === undefined) throw new SettingsFieldError([], `${key}: missing; expected an object {"0": "a prompt", …}`);
  if (!prompts || typeof prompts !== 'object' || Array.isArray(prompts)) throw new SettingsFieldError([key], `${key}: expected an object {"0": "a prompt", …}, got ${preview(prompts)}`);
  return {
    key,
    prompts: Object.fromEntries(Object.entries(prompts as Record<string, unknown>).map(([frame, value]) => {
      const prompt = text(value);
      if (prompt === undefined) throw new SettingsFieldError([key, frame], `${key}[${JSON.stringify(frame)}]: expected a prompt string, got ${preview(value)}`);
      return [frame, prompt];
    })),
  };
}

/**
 * Deforum animation modes this renderer cannot make yet. Imported as 2D they would render another animation with
 * exit 0 (a 3D file's camera motion dropped and its zoom/angle, which Deforum ignores in 3D, applied: one real file
 * with zoom 0 renders flat colour), so the import refuses them.
 */
const modesNotYetSupported = new Map<string, string>([
  ['Video Input', 'Video Input mode (each frame img2img of a video frame) is not supported yet; imported as 2D it would render a zoom loop instead of the video'],
  ['Interpolation', 'Interpolation mode is not supported yet; imported as 2D it would render a different animation'],
  ['Wan Video', 'Wan Video mode (the Forge fork\'s Wan video model) is not supported; imported as 2D it would render a different animation'],
  ['None', 'mode None makes still images of the prompts list, not an animation; use deforum generate for each prompt'],
]);

/** The keyframe file's sampler for A1111 1.9+'s separate scheduler (`scheduler: "Karras"`), where this renderer has it. */
function withScheduler(resolved: ResolvedSampler, scheduler: string | undefined): ResolvedSampler | undefined {
  if (scheduler === undefined || scheduler === 'Automatic' || resolved.scheduler !== 'automatic') return resolved;
  return resolveSamplerName(`${resolved.sampler}_${scheduler}`);
}

export function importDeforumSettings(file: Settings, name?: string): DeforumImport {
  const { settings, writtenAs } = settingsShape(file);
  const mode = settings.animation_mode;
  const unsupported = typeof mode === 'string' ? modesNotYetSupported.get(mode) : undefined;
  if (unsupported) throw new SettingsFieldError(['animation_mode'], `animation_mode "${mode}": ${unsupported}`);
  const written = (key: string) => writtenAs.get(key) ?? key;
  const used = new Set<string>(['animation_mode']);
  const take = (key: string) => {
    used.add(key);
    return settings[key];
  };
  const notes: string[] = [];
  const origins: ImportedField[] = [];
  const files: ImportedFile[] = [];
  /** Not-carried lines of fields the conversion read, listed where the field is in the file. */
  const listedAt = new Map<string, string[]>();
  const list = (key: string, line: string) => listedAt.set(key, [...(listedAt.get(key) ?? []), line]);
  const carried = (field: ImportedField['field'], key: string) => origins.push({ field, from: written(key) });
  /** A numeric field; a value that is no number (an array, an object, a word) is listed rather than guessed. */
  const takeNumber = (key: string): number | undefined => {
    const value = take(key);
    const n = number(value);
    if (value !== undefined && n === undefined) list(key, `${written(key)} ${preview(value)} (not a number)`);
    return n;
  };
  const takeInt = (key: string): number | undefined => {
    const n = takeNumber(key);
    return n === undefined ? undefined : Math.trunc(n);
  };
  const positivePrompt = text(take('animation_prompts_positive') ?? take('positive_prompts')) ?? '';
  const negativePrompt = (text(take('animation_prompts_negative') ?? take('negative_prompts')) ?? '').replaceAll('--neg', '').trim();
  const source = promptsOf(settings);
  const prompts = Object.fromEntries(Object.entries(source.prompts).map(([k, v]) => [k, unmergePrompt(v, positivePrompt, negativePrompt)]));
  carried(['prompts'], source.key);

  const schedules: NonNullable<AnimationInput['schedules']> = {};
  const mode3d = mode === '3D';
  for (const [field, ours] of Object.entries(deforumScheduleNames)) {
    const value = text(take(field));
    if (value === undefined || !(scheduleSwitches.get(ours)?.(settings) ?? true)) continue;
    // Deforum's 3D warp ignores zoom, angle and the transform centre (docs/deforum-3d.md §1).
    if (mode3d && (schedules2dOnly as readonly string[]).includes(ours)) continue;
    (schedules as Record<string, string>)[ours] = value;
    carried(['schedules', ours], field);
  }
  // The notebook's constant CFG, from settings files older than cfg_scale_schedule.
  const scale = text(take('scale'));
  if (schedules.cfg === undefined && scale !== undefined) {
    schedules.cfg = `0: (${scale})`;
    carried(['schedules', 'cfg'], 'scale');
  }
  const seedBehavior = text(take('seed_behavior'));
  // Deforum treats any other behaviour string as random (docs/deforum.md §c notes).
  const behavior = seedBehaviors.find((b) => b === seedBehavior) ?? (seedBehavior === undefined ? undefined : 'random');
  if (seedBehavior !== undefined && behavior !== seedBehavior) list('seed_behavior', `seed_behavior ${preview(seedBehavior)} (Deforum falls back to random; so does this file)`);

  const animation: Partial<AnimationInput> = { ...(name ? { name } : {}) };
  // Deforum (and A1111) floor the size to a multiple of 8 before rendering (docs/deforum.md §g): so does the import.
  for (const [field, ours] of [['W', 'width'], ['H', 'height']] as const) {
    const size = takeInt(field);
    if (size === undefined) continue;
    animation[ours] = size - (size % 8);
    carried([ours], field);
    if (size % 8 !== 0) notes.push(`${written(field)} ${size} → ${size - (size % 8)} (floored to a multiple of 8, as Deforum does)`);
  }
  const frames = takeInt('max_frames');
  if (frames !== undefined) {
    animation.frames = frames;
    carried(['frames'], 'max_frames');
  }
  const fps = takeNumber('fps');
  if (fps !== undefined && fps > 0) {
    animation.fps = fps;
    carried(['fps'], 'fps');
  }
  const sampler = take('sampler');
  const scheduler = text(take('scheduler'));
  if (sampler !== undefined) {
    // Files of October–November 2022 hold an index into A1111's sampler list of then (samplerFromIndex).
    const samplerName = typeof sampler === 'number' ? samplerFromIndex(sampler) : text(sampler);
    // The notebook runs PLMS as KLMS in every animation ("Init images aren't supported with PLMS yet").
    const plms = samplerName?.toLowerCase() === 'plms';
    if (plms) notes.push('sampler "plms" → lms (the notebook runs PLMS as KLMS in animations)');
    const resolved = samplerName === undefined ? undefined : resolveSamplerName(plms ? 'klms' : samplerName);
    const indexed = typeof sampler === 'number' && samplerName !== undefined ? `A1111's "${samplerName}", ` : '';
    const scheduled = resolved && withScheduler(resolved, scheduler);
    if (scheduled) {
      animation.sampler = canonicalSamplerName(scheduled);
      carried(['sampler'], 'sampler');
    } else if (resolved) {
      animation.sampler = canonicalSamplerName(resolved);
      carried(['sampler'], 'sampler');
      list('scheduler', `scheduler ${preview(scheduler)} (not available for ${samplerName}; using its default, Automatic)`);
    } else list('sampler', `sampler ${preview(sampler)} (${indexed}not available; using euler_a)`);
  }
  const steps = takeInt('steps');
  if (steps !== undefined) {
    animation.steps = steps;
    carried(['steps'], 'steps');
  }
  const seed = takeInt('seed');
  if (seed !== undefined) {
    animation.seed = seed;
    carried(['seed'], 'seed');
  }
  if (behavior) {
    animation.seedBehavior = behavior;
    carried(['seedBehavior'], 'seed_behavior');
  }
  const seedIterN = takeInt('seed_iter_N');
  if (seedIterN !== undefined) {
    animation.seedIterN = seedIterN;
    carried(['seedIterN'], 'seed_iter_N');
  }
  animation.prompts = prompts;
  if (positivePrompt.trim()) animation.positivePrompt = positivePrompt;
  if (negativePrompt) animation.negativePrompt = negativePrompt;
  const camera = importCamera(settings, mode3d, { take, carried, list, note: (line) => notes.push(line), text, preview });
  animation.schedules = { ...schedules, ...camera.schedules };
  Object.assign(animation, { ...camera, schedules: animation.schedules }, carriedParseq(take, name));
  const cadence = takeInt('diffusion_cadence');
  if (cadence !== undefined) {
    animation.diffusionCadence = cadence;
    carried(['diffusionCadence'], 'diffusion_cadence');
  }
  /** A path field as Deforum cleans it (quotes of Windows' "Copy as path" removed), recorded for the file checks. */
  const filePath = (field: ImportedField['field'], key: string): string | undefined => {
    const value = text(settings[key]);
    const file = value === undefined ? undefined : cleanPath(value.trim());
    if (!file) return undefined;
    carried(field, key);
    files.push({ field, from: written(key), file });
    return file;
  };
  if (settings.use_init === true) {
    const init = filePath(['initImage'], 'init_image');
    if (init) {
      animation.initImage = init;
      const strength = number(settings.strength);
      if (strength !== undefined) animation.initStrength = Math.min(Math.max(strength, 0), 1);
    }
  }
  const colorCoherence = text(take('color_coherence'));
  if (colorCoherence !== undefined) {
    const colorMode = colorModes.get(colorCoherence);
    if (colorMode) {
      animation.colorCoherence = colorMode;
      carried(['colorCoherence'], 'color_coherence');
    } else list('color_coherence', `color_coherence ${preview(colorCoherence)} (not available; using LAB)`);
    if (colorMode === 'image') {
      const sample = filePath(['colorCoherenceImage'], 'color_coherence_image_path');
      if (sample) animation.colorCoherenceImage = sample;
    }
  }
  const border = text(take('border'));
  if (border !== undefined) {
    // animation.py: cv2.BORDER_WRAP if border == 'wrap' else cv2.BORDER_REPLICATE
    animation.borderMode = border === 'wrap' ? 'wrap' : 'replicate';
    carried(['borderMode'], 'border');
    if (border !== 'wrap' && border !== 'replicate') notes.push(`border ${preview(border)} → replicate (Deforum replicates for anything but "wrap")`);
  }
  const noiseType = text(take('noise_type'));
  if (noiseType === 'perlin' || noiseType === 'uniform') {
    animation.noiseType = noiseType;
    carried(['noiseType'], 'noise_type');
  } else if (noiseType !== undefined) list('noise_type', `noise_type ${preview(noiseType)}`);
  for (const [field, ours] of [['perlin_w', 'perlinW'], ['perlin_h', 'perlinH'], ['perlin_octaves', 'perlinOctaves']] as const) {
    const value = takeInt(field);
    if (value === undefined) continue;
    animation[ours] = value;
    carried([ours], field);
  }
  const persistence = takeNumber('perlin_persistence');
  if (persistence !== undefined) {
    animation.perlinPersistence = persistence;
    carried(['perlinPersistence'], 'perlin_persistence');
  }
  // the 2022 extension's add_soundtrack was a checkbox
  if (settings.add_soundtrack === 'File' || settings.add_soundtrack === true) {
    const audio = filePath(['output', 'audio'], 'soundtrack_path');
    if (audio) animation.output = { audio };
  } else if (settings.add_soundtrack === 'Init Video') list('add_soundtrack', 'add_soundtrack "Init Video" (the audio of Video Input mode\'s video, which is not supported yet)');
  else if (settings.add_soundtrack !== undefined && settings.add_soundtrack !== 'None' && settings.add_soundtrack !== false) list('add_soundtrack', `add_soundtrack ${preview(settings.add_soundtrack)}`);
  for (const model of ['sd_model_name', 'model_checkpoint']) {
    if (take(model) !== undefined) list(model, `${model} ${preview(settings[model])} (set "model" to an ONNX model folder)`);
  }

  const controlnet = importControlNetUnits(settings);
  if (controlnet.units.length > 0) animation.controlnet = controlnet.units;
  origins.push(...controlnet.origins);
  files.push(...controlnet.files);
  notes.push(...controlnet.notes);
  controlnet.notCarried.forEach((line) => list(`cn_${/^cn_(\d+)/.exec(line)![1]}_enabled`, line));

  /* Everything else, in the file's order: a feature that is on as one line, a field that does something as one line. */
  const notCarried: string[] = [];
  const listedFeatures = new Set<(typeof features)[number]>();
  for (const [key, value] of Object.entries(settings)) {
    notCarried.push(...(listedAt.get(key) ?? []));
    if (used.has(key) || metadata.has(key) || /^cn_\d+_/.test(key) || notIn2D.some((pattern) => pattern.test(key))) continue;
    const feature = features.find((f) => f.keys.test(key));
    if (feature) {
      if (feature.on(settings) && !listedFeatures.has(feature)) notCarried.push(feature.line(settings));
      listedFeatures.add(feature);
      continue;
    }
    // false (old files' "off"), null, "" and the values that mean "not used" do nothing
    if (value === false || value === null || value === '' || inactiveValues.get(key)?.includes(value)) continue;
    notCarried.push(`${cut(written(key))} ${preview(value)}`);
  }
  // lines of fields the shape check renamed or the file lacks (a scheduler with no sampler given)
  for (const [key, lines] of listedAt) if (!Object.hasOwn(settings, key)) notCarried.push(...lines);
  return { animation: animation as AnimationInput, notCarried, notes, origins, files };
}
