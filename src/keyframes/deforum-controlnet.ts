import { CONTROL_MODE_NAMES, CONTROL_MODES, RESIZE_MODE_NAMES, RESIZE_MODES } from '../controlnet/modes.js';
import { cleanPath, cut, schedule, text } from './deforum-values.js';
import type { AnimationInput } from './schema.js';

/**
 * Deforum's ControlNet units `cn_1_*` … `cn_N_*` (docs/deforum.md §e; deforum_controlnet.py) as the keyframe file's
 * `controlnet` units, where this renderer makes what Deforum made: a pose ControlNet fed images that already are pose
 * maps (preprocessor `none`), from a video (frame i is frame i) or one image (every frame). Every other enabled unit
 * is one line saying what it was and why it is not carried; a disabled unit, or one without a model (which Deforum's
 * ControlNet skips), is dropped silently.
 */

type Settings = Record<string, unknown>;
type Segment = string | number;
type ControlNetUnitInput = NonNullable<AnimationInput['controlnet']>[number];

/** Values inside a unit's line are cut shorter than a field's, so that the reason after them stays readable. */
const short = 40;

export interface ImportedField {
  /** The field's JSON path in the keyframe file. */
  field: Segment[];
  /** The settings key it came from. */
  from: string;
}

export interface ImportedFile extends ImportedField {
  file: string;
}

export interface ControlNetImport {
  units: ControlNetUnitInput[];
  notCarried: string[];
  notes: string[];
  origins: ImportedField[];
  files: ImportedFile[];
}

/** The preprocessors whose output an OpenPose ControlNet reads (sd-webui-controlnet's openpose family). */
const isOpenPose = (name: string) => /openpose/i.test(name);

/** A1111 ControlNet preprocessors that need no model (`model_free_preprocessors` of deforum_controlnet.py). */
const modelFree = new Set(['reference_only', 'reference_adain', 'reference_adain+attn']);

/** Deforum's test for a single-image input (`process_controlnet_input_frames`); anything else is a video. */
const isImagePath = (file: string) => /\.(jpg|jpeg|png|bmp)$/i.test(file);

/** A1111's model name without its hash: `control_v11p_sd15_openpose [cab727d4]` → `control_v11p_sd15_openpose`. */
const modelName = (model: string) => model.replace(/\s*\[[0-9a-f]+\]$/i, '');

function enumValue<T extends string>(value: string | undefined, canonical: readonly T[], names: Record<string, T>): T | undefined {
  if (value === undefined) return undefined;
  return Object.hasOwn(names, value) ? names[value] : (canonical as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** The unit numbers a file has (`cn_1_enabled` … `cn_5_enabled`, or more with A1111's unit count raised). */
export function controlNetUnitNumbers(settings: Settings): number[] {
  const numbers = new Set<number>();
  for (const key of Object.keys(settings)) {
    const match = /^cn_(\d+)_/.exec(key);
    if (match) numbers.add(Number(match[1]));
  }
  return [...numbers].sort((a, b) => a - b);
}

export function importControlNetUnits(settings: Settings): ControlNetImport {
  const result: ControlNetImport = { units: [], notCarried: [], notes: [], origins: [], files: [] };
  for (const n of controlNetUnitNumbers(settings)) {
    const key = (name: string) => `cn_${n}_${name}`;
    const value = (name: string) => settings[key(name)];
    if (value('enabled') !== true) continue;
    const module = text(value('module')) ?? 'none';
    const model = text(value('model')) ?? 'None';
    const preprocessed = module === 'none' || module === 'None';
    if ((model === 'None' || model === '') && !modelFree.has(module)) continue;
    const loopback = value('loopback_mode') === true;
    const input = loopback ? undefined : cleanPath(text(value('vid_path')) ?? '');
    const weight = schedule(value('weight')) ?? '0:(1)';
    const what = `cn_${n}: ${cut(preprocessed ? modelName(model) : module, short)}, weight ${cut(weight, short)}, ${loopback ? 'loopback' : input ? `input ${cut(input, short)}` : 'no input'}`;
    const reason = !isOpenPose(preprocessed ? model : module)
      ? 'only OpenPose ControlNet units are supported yet'
      : loopback
        ? 'loopback, the previous frame as control image, is not supported yet'
        : !input
          ? 'without an input Deforum\'s ControlNet reads each frame\'s init image, which is not supported yet'
          : !preprocessed
            ? `pose detection (preprocessor ${cut(module, short)}) is not supported yet: give pose maps with preprocessor none, or OpenPose JSON keyframes`
            : undefined;
    if (reason || !input) {
      result.notCarried.push(`${what} (${reason})`);
      continue;
    }
    if (value('weight') !== undefined && schedule(value('weight')) === undefined) result.notes.push(`cn_${n}: weight is not a schedule; using 0:(1)`);
    const index = result.units.length;
    const field = (...path: Segment[]) => ['controlnet', index, ...path];
    const unit: ControlNetUnitInput = { pose: isImagePath(input) ? { image: input } : { video: input }, weight };
    result.files.push({ field: field('pose', isImagePath(input) ? 'image' : 'video'), from: key('vid_path'), file: input });
    result.origins.push({ field: field('pose'), from: key('vid_path') }, { field: field('weight'), from: key('weight') });
    for (const [name, ours] of [['guidance_start', 'guidanceStart'], ['guidance_end', 'guidanceEnd']] as const) {
      const written = schedule(value(name));
      if (written === undefined) continue;
      unit[ours] = written;
      result.origins.push({ field: field(ours), from: key(name) });
    }
    const controlMode = text(value('control_mode'));
    const control = enumValue(controlMode, CONTROL_MODES, CONTROL_MODE_NAMES);
    if (control) unit.controlMode = control;
    else if (controlMode !== undefined) result.notes.push(`cn_${n}: control mode ${JSON.stringify(cut(controlMode, short))} unknown; using Balanced`);
    const resizeMode = text(value('resize_mode'));
    const resize = enumValue(resizeMode, RESIZE_MODES, RESIZE_MODE_NAMES);
    if (resize) unit.resizeMode = resize;
    else if (resizeMode !== undefined) result.notes.push(`cn_${n}: resize mode ${JSON.stringify(cut(resizeMode, short))} unknown; using Inner Fit (Scale to Fit)`);
    result.notes.push(`cn_${n}: model ${JSON.stringify(cut(model, 60))} → the bundled tiny-sd-controlnet-openpose (set controlnet[${index}].model to its ONNX export)`);
    const mask = cleanPath(text(value('mask_vid_path')) ?? '');
    if (mask) result.notes.push(`cn_${n}: mask ${cut(mask, short)} not used (Deforum's UI marks ControlNet masks as not working)`);
    result.units.push(unit);
  }
  return result;
}
