import { KeyframeError } from '../errors.js';
import { canonicalSamplerName, resolveSamplerName, samplerFromIndex } from '../sampler/sampler-names.js';
import type { AnimationInput, colorCoherenceModes } from './schema.js';
import { defaultSeedSchedule, deforumScheduleNames, seedBehaviors } from './schema.js';
import { carriedParseq } from './parseq-import.js';

/**
 * Converts a settings file saved by the Deforum A1111 extension (`<timestring>_settings.txt`, JSON with snake_case
 * names, docs/deforum.md §g "Settings file") into a keyframe file. Features the renderer does not have are listed, not
 * guessed; switched-off features (an `enable_*` flag false, a mode not chosen) are dropped silently.
 */

export interface DeforumImport {
  animation: AnimationInput;
  /** Deforum fields (with their values) that have no equivalent here. */
  notCarried: string[];
  /** Fields carried with a change the renderer would make anyway (a size floored to a multiple of 8). */
  notes: string[];
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

/** Fields that are metadata, UI state or already folded into what is carried. */
const metadata = new Set([
  'show_info_on_ui', 'batch_name', 'sd_model_hash', 'deforum_git_commit_id', 'resume_from_timestring', 'resume_timestring',
  'motion_preview_mode', 'store_frames_in_ram', 'delete_imgs', 'delete_input_frames', 'overwrite_extracted_frames',
  'save_depth_maps', 'strength_0_no_init', 'legacy_colormatch', 'override_settings_with_file', 'custom_settings_file',
  'parseq_use_deltas', 'parseq_non_schedule_overrides', 'pix2pix_img_cfg_scale_schedule', 'skip_video_creation',
  'animation_prompts', 'prompts', 'positive_prompts', 'negative_prompts', 'animation_prompts_positive',
  'animation_prompts_negative', 'use_init', 'init_image', 'strength', 'color_coherence_image_path', 'soundtrack_path',
  'add_soundtrack',
]);

/** Fields that only matter when a switch is on: [the fields, is the switch off?]. */
const switchedOff: Array<[RegExp, (s: Settings) => boolean]> = [
  [/^enable_/, () => true],
  [/^perspective_flip_/, (s) => s.enable_perspective_flip !== true],
  [/^cn_(\d+)_/, () => false],
  [/^(subseed_schedule|subseed_strength_schedule)$/, (s) => s.enable_subseed_scheduling !== true],
  [/^checkpoint_schedule$/, (s) => s.enable_checkpoint_scheduling !== true],
  [/^clipskip_schedule$/, (s) => s.enable_clipskip_scheduling !== true],
  [/^ddim_eta_schedule$/, (s) => s.enable_ddim_eta_scheduling !== true],
  [/^ancestral_eta_schedule$/, (s) => s.enable_ancestral_eta_scheduling !== true],
  [/^(use_mask|mask_file|invert_mask|mask_contrast_adjust|mask_brightness_adjust|overlay_mask|mask_overlay_blur|fill|full_res_mask|full_res_mask_padding|use_alpha_as_mask)$/, (s) => s.use_mask !== true],
  [/^(use_noise_mask|noise_mask_schedule|mask_schedule)$/, (s) => s.use_noise_mask !== true],
  [/^(translation_z|rotation_3d_[xyz]|fov_schedule|near_schedule|far_schedule|aspect_ratio_schedule|aspect_ratio_use_old_formula|use_depth_warping|depth_algorithm|midas_weight|padding_mode|sampling_mode)$/, (s) => s.animation_mode !== '3D'],
  [/^(video_init_path|extract_nth_frame|extract_from_frame|extract_to_frame|use_mask_video|video_mask_path)$/, (s) => s.animation_mode !== 'Video Input'],
  [/^hybrid_/, (s) => (s.hybrid_composite ?? 'None') === 'None' && (s.hybrid_motion ?? 'None') === 'None'],
  [/^(use_looper|init_images|image_strength_schedule|blendFactorMax|blendFactorSlope|tweening_frames_schedule|color_correction_factor)$/, (s) => s.use_looper !== true],
  [/^r_upscale_/, (s) => s.r_upscale_video !== true],
  [/^frame_interpolation_/, (s) => (s.frame_interpolation_engine ?? 'None') === 'None'],
  [/^cadence_flow_factor_schedule$/, (s) => (s.optical_flow_cadence ?? 'None') === 'None'],
  [/^redo_flow_factor_schedule$/, (s) => (s.optical_flow_redo_generation ?? 'None') === 'None'],
  [/^color_coherence_video_every_N_frames$/, (s) => s.color_coherence !== 'Video Input'],
  [/^reroll_patience$/, (s) => (s.reroll_blank_frames ?? 'ignore') === 'ignore'],
];

/** Off-by-default features whose default value means "not used". */
const inactiveValues: ReadonlyMap<string, unknown[]> = new Map(Object.entries({
  optical_flow_cadence: ['None'],
  optical_flow_redo_generation: ['None'],
  diffusion_redo: ['0', 0],
  reroll_blank_frames: ['ignore'],
  hybrid_composite: ['None'],
  hybrid_motion: ['None'],
  frame_interpolation_engine: ['None'],
  parseq_manifest: ['', null],
  seed_resize_from_w: [0],
  seed_resize_from_h: [0],
  subseed: [-1],
  subseed_strength: [0],
  tiling: [false],
  restore_faces: [false],
  color_force_grayscale: [false],
  make_gif: [false],
  r_upscale_video: [false],
  use_looper: [false],
  use_mask: [false],
  use_noise_mask: [false],
  enable_perspective_flip: [false],
  animation_mode: ['2D'],
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

/**
 * A field's value as the not-carried list shows it: one short line whatever its size or depth (a value nested
 * 100,000 deep would overflow JSON.stringify's recursion).
 */
function preview(value: unknown): string {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? '' : 's'}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.keys(value).length;
    return `{${fields} field${fields === 1 ? '' : 's'}}`;
  }
  return clip(JSON.stringify(value) ?? String(value));
}
const clip = (line: string): string => (line.length > 80 ? `${line.slice(0, 79)}…` : line);

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
/** Only a number or a numeric string: `Number()` of a deeply nested array would recurse through its `join`. */
const number = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};


function promptsOf(settings: Settings): Record<string, string> {
  let prompts = settings.prompts ?? settings.animation_prompts;
  if (typeof prompts === 'string') {
    try {
      prompts = JSON.parse(prompts) as unknown;
    } catch {
      throw new KeyframeError('prompts: not valid JSON (Deforum: "check your prompts with a JSON validator")');
    }
  }
  if (!prompts || typeof prompts !== 'object' || Array.isArray(prompts)) throw new KeyframeError('prompts: missing; expected an object {"0": "a prompt", …}');
  return Object.fromEntries(Object.entries(prompts as Record<string, unknown>).map(([key, value]) => {
    const prompt = text(value);
    if (prompt === undefined) throw new KeyframeError(`prompts[${JSON.stringify(key)}]: expected a prompt string, got ${preview(value)}`);
    return [key, prompt];
  }));
}

/**
 * Deforum animation modes this renderer cannot make yet. Imported as 2D they would render another animation with
 * exit 0 (a 3D file's camera motion dropped and its zoom/angle, which Deforum ignores in 3D, applied: one real file
 * with zoom 0 renders flat colour), so the import refuses them.
 */
const modesNotYetSupported = new Map<string, string>([
  ['3D', '3D mode (the depth-warped camera of translation_z, rotation_3d_*, fov) is not supported yet; imported as 2D its camera motion would be lost and zoom/angle, which Deforum ignores in 3D, applied instead'],
  ['Video Input', 'Video Input mode (each frame img2img of a video frame) is not supported yet; imported as 2D it would render a zoom loop instead of the video'],
  ['Interpolation', 'Interpolation mode is not supported yet; imported as 2D it would render a different animation'],
]);

export function importDeforumSettings(settings: Settings, name?: string): DeforumImport {
  const mode = settings.animation_mode;
  const unsupported = typeof mode === 'string' ? modesNotYetSupported.get(mode) : undefined;
  if (unsupported) throw new KeyframeError(`animation_mode "${mode}": ${unsupported}`);
  const used = new Set<string>();
  const take = (key: string) => {
    used.add(key);
    return settings[key];
  };
  const notCarried: string[] = [];
  const notes: string[] = [];
  /** A numeric field; a value that is no number (an array, an object, a word) is listed rather than guessed. */
  const takeNumber = (key: string): number | undefined => {
    const value = take(key);
    const n = number(value);
    if (value !== undefined && n === undefined) notCarried.push(`${key} ${preview(value)} (not a number)`);
    return n;
  };
  const takeInt = (key: string): number | undefined => {
    const n = takeNumber(key);
    return n === undefined ? undefined : Math.trunc(n);
  };
  const positivePrompt = text(take('animation_prompts_positive') ?? take('positive_prompts')) ?? '';
  const negativePrompt = (text(take('animation_prompts_negative') ?? take('negative_prompts')) ?? '').replaceAll('--neg', '').trim();
  const prompts = Object.fromEntries(Object.entries(promptsOf(settings)).map(([k, v]) => [k, unmergePrompt(v, positivePrompt, negativePrompt)]));

  const schedules: NonNullable<AnimationInput['schedules']> = {};
  for (const [field, ours] of Object.entries(deforumScheduleNames)) {
    const value = text(take(field));
    if (value !== undefined && (scheduleSwitches.get(ours)?.(settings) ?? true)) (schedules as Record<string, string>)[ours] = value;
  }
  // The notebook's constant CFG, from settings files older than cfg_scale_schedule.
  const scale = text(take('scale'));
  if (schedules.cfg === undefined && scale !== undefined) schedules.cfg = `0: (${scale})`;
  const seedBehavior = text(take('seed_behavior'));
  // Deforum treats any other behaviour string as random (docs/deforum.md §c notes).
  const behavior = seedBehaviors.find((b) => b === seedBehavior) ?? (seedBehavior === undefined ? undefined : 'random');
  if (seedBehavior !== undefined && behavior !== seedBehavior) notCarried.push(`seed_behavior ${preview(seedBehavior)} (Deforum falls back to random; so does this file)`);

  const animation: Partial<AnimationInput> = { ...(name ? { name } : {}) };
  // Deforum (and A1111) floor the size to a multiple of 8 before rendering (docs/deforum.md §g): so does the import.
  for (const [field, ours] of [['W', 'width'], ['H', 'height']] as const) {
    const size = takeInt(field);
    if (size === undefined) continue;
    animation[ours] = size - (size % 8);
    if (size % 8 !== 0) notes.push(`${field} ${size} → ${size - (size % 8)} (floored to a multiple of 8, as Deforum does)`);
  }
  const frames = takeInt('max_frames');
  if (frames !== undefined) animation.frames = frames;
  const fps = takeNumber('fps');
  if (fps !== undefined && fps > 0) animation.fps = fps;
  const sampler = take('sampler');
  if (sampler !== undefined) {
    // Files of October–November 2022 hold an index into A1111's sampler list of then (samplerFromIndex).
    const samplerName = typeof sampler === 'number' ? samplerFromIndex(sampler) : text(sampler);
    const resolved = samplerName === undefined ? undefined : resolveSamplerName(samplerName);
    const indexed = typeof sampler === 'number' && samplerName !== undefined ? `A1111's "${samplerName}", ` : '';
    if (resolved) animation.sampler = canonicalSamplerName(resolved);
    else notCarried.push(`sampler ${preview(sampler)} (${indexed}not available; using euler_a)`);
  }
  const steps = takeInt('steps');
  if (steps !== undefined) animation.steps = steps;
  const seed = takeInt('seed');
  if (seed !== undefined) animation.seed = seed;
  if (behavior) animation.seedBehavior = behavior;
  const seedIterN = takeInt('seed_iter_N');
  if (seedIterN !== undefined) animation.seedIterN = seedIterN;
  animation.prompts = prompts;
  if (positivePrompt.trim()) animation.positivePrompt = positivePrompt;
  if (negativePrompt) animation.negativePrompt = negativePrompt;
  animation.schedules = schedules;
  Object.assign(animation, carriedParseq(take, name));
  const cadence = takeInt('diffusion_cadence');
  if (cadence !== undefined) animation.diffusionCadence = cadence;
  if (settings.use_init === true && text(settings.init_image)) {
    animation.initImage = text(settings.init_image);
    const strength = number(settings.strength);
    if (strength !== undefined) animation.initStrength = Math.min(Math.max(strength, 0), 1);
  }
  const colorCoherence = text(take('color_coherence'));
  if (colorCoherence !== undefined) {
    const mode = colorModes.get(colorCoherence);
    if (mode) animation.colorCoherence = mode;
    else notCarried.push(`color_coherence ${preview(colorCoherence)} (not available; using LAB)`);
    if (mode === 'image' && text(settings.color_coherence_image_path)) animation.colorCoherenceImage = text(settings.color_coherence_image_path);
  }
  const border = text(take('border'));
  if (border === 'replicate' || border === 'wrap') animation.borderMode = border;
  else if (border !== undefined) notCarried.push(`border ${preview(border)}`);
  const noiseType = text(take('noise_type'));
  if (noiseType === 'perlin' || noiseType === 'uniform') animation.noiseType = noiseType;
  else if (noiseType !== undefined) notCarried.push(`noise_type ${preview(noiseType)}`);
  for (const [field, ours] of [['perlin_w', 'perlinW'], ['perlin_h', 'perlinH'], ['perlin_octaves', 'perlinOctaves']] as const) {
    const value = takeInt(field);
    if (value !== undefined) animation[ours] = value;
  }
  const persistence = takeNumber('perlin_persistence');
  if (persistence !== undefined) animation.perlinPersistence = persistence;
  if (settings.add_soundtrack === 'File' && text(settings.soundtrack_path)) animation.output = { audio: text(settings.soundtrack_path) };
  else if (settings.add_soundtrack !== undefined && settings.add_soundtrack !== 'None') notCarried.push(`add_soundtrack ${preview(settings.add_soundtrack)}`);
  if (settings.animation_mode !== undefined && settings.animation_mode !== '2D') notCarried.push(`animation_mode ${preview(settings.animation_mode)} (rendered as 2D)`);
  used.add('animation_mode');
  if (settings.sd_model_name !== undefined) notCarried.push(`sd_model_name ${preview(settings.sd_model_name)} (set "model" to an ONNX model folder)`);
  used.add('sd_model_name');

  for (const [key, value] of Object.entries(settings)) {
    if (used.has(key) || metadata.has(key)) continue;
    if (switchedOff.some(([pattern, off]) => pattern.test(key) && off(settings))) continue;
    const cn = /^cn_(\d+)_/.exec(key);
    if (cn && settings[`cn_${cn[1]}_enabled`] !== true) continue;
    if (inactiveValues.get(key)?.includes(value)) continue;
    notCarried.push(`${clip(key)} ${preview(value)}`);
  }
  return { animation: animation as AnimationInput, notCarried, notes };
}
