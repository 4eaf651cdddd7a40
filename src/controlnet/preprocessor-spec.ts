/**
 * The ControlNet preprocessors ("modules") by sd-webui-controlnet's names and UI labels (scripts/preprocessor/, as
 * Deforum's `cn_N_module` stores them): which of them this project computes, with the settings each reads and the
 * extension's defaults and slider ranges, and for the others the one line saying where their maps come from instead.
 * A leaf: the keyframe schema can compose it without loading image code.
 */

/** Computed here exactly as the extension does (preprocessors.ts). */
export const PREPROCESSORS = ['none', 'canny', 'tile_resample'] as const;
export type Preprocessor = (typeof PREPROCESSORS)[number];

export interface PreprocessorSettings {
  /** `processor_res`: the shorter side canny resizes the image to. */
  processorRes: number;
  /** `threshold_a`: canny's low threshold, tile_resample's down-sampling rate. */
  thresholdA: number;
  /** `threshold_b`: canny's high threshold. */
  thresholdB: number;
}

/** The extension's defaults: resolution 512, canny thresholds 100/200, tile rate 1. */
export function defaultSettings(module: Preprocessor): PreprocessorSettings {
  if (module === 'canny') return { processorRes: 512, thresholdA: 100, thresholdB: 200 };
  return { processorRes: 512, thresholdA: 1, thresholdB: 0 };
}

export interface SettingRange {
  min: number;
  max: number;
  integer: boolean;
}

/** The settings each module reads, with the ranges of the extension's sliders (model_free_preprocessors.py, processor.py). */
export const SETTING_RANGES: Record<Preprocessor, Partial<Record<keyof PreprocessorSettings, SettingRange>>> = {
  none: {},
  canny: {
    processorRes: { min: 64, max: 2048, integer: true },
    thresholdA: { min: 1, max: 255, integer: false },
    thresholdB: { min: 1, max: 255, integer: false },
  },
  tile_resample: { thresholdA: { min: 1, max: 8, integer: false } },
};

/** Pose detectors: an OpenPose map here is drawn from pose keyframes instead. */
const POSE_DETECTORS = ['openpose', 'openpose_face', 'openpose_faceonly', 'openpose_full', 'openpose_hand', 'dw_openpose_full', 'animal_openpose'];

/** Depth estimators: a depth map here comes from the project's depth model. */
const DEPTH_ESTIMATORS = ['depth', 'depth_midas', 'depth_leres', 'depth_leres++', 'depth_zoe', 'depth_anything', 'depth_anything_v2', 'depth_hand_refiner'];

/** The extension's other modules, by name and label: each needs weights this project does not ship, or is not a map. */
const OTHER_MODULES = [
  'blur_gaussian', 'clip_vision', 'color', 'densepose', 'densepose (pruple bg & purple torso)', 'densepose_parula',
  'densepose_parula (black bg & blue torso)', 'hed', 'hed_safe', 'inpaint', 'inpaint_global_harmonious', 'inpaint_only',
  'inpaint_only+lama', 'instant_id_face_embedding', 'instant_id_face_keypoints', 'invert', 'invert (from white bg & black line)',
  'ip-adapter-auto', 'ip-adapter_clip_g', 'ip-adapter_clip_h', 'ip-adapter_clip_sd15', 'ip-adapter_clip_sdxl',
  'ip-adapter_clip_sdxl_plus_vith', 'ip-adapter_face_id', 'ip-adapter_face_id_plus', 'ip-adapter_pulid', 'lineart',
  'lineart_anime', 'lineart_anime_denoise', 'lineart_coarse', 'lineart_realistic', 'lineart_standard',
  'lineart_standard (from white bg & black line)', 'mediapipe_face', 'mlsd', 'mobile_sam', 'normal_bae', 'normal_dsine',
  'normal_map', 'normal_midas', 'oneformer_ade20k', 'oneformer_coco', 'pidinet', 'pidinet_safe', 'pidinet_scribble',
  'pidinet_sketch', 'recolor_intensity', 'recolor_luminance', 'reference_adain', 'reference_adain+attn', 'reference_only',
  'revision_clipvision', 'revision_ignore_prompt', 'scribble_hed', 'scribble_pidinet', 'scribble_xdog', 'seg_anime_face',
  'anime_face_segment', 'seg_ofade20k', 'seg_ofcoco', 'seg_ufade20k', 'segmentation', 'shuffle', 'softedge_anyline',
  'softedge_hed', 'softedge_hedsafe', 'softedge_pidinet', 'softedge_pidisafe', 'softedge_teed', 't2ia_color_grid',
  't2ia_sketch_pidi', 't2ia_style_clipvision', 'threshold', 'tile_colorfix', 'tile_colorfix+sharp',
];

/** Every module name the extension knows, for did-you-mean. */
export const KNOWN_MODULES: readonly string[] = [...PREPROCESSORS, ...POSE_DETECTORS, ...DEPTH_ESTIMATORS, ...OTHER_MODULES];

const PREPARED_MAP = 'give a prepared map with module "none"';

export const isPreprocessor = (name: string): name is Preprocessor => (PREPROCESSORS as readonly string[]).includes(name);

/**
 * Why a module the extension knows is not run here, as one line naming it and the alternative; undefined for the
 * modules computed here and for names the extension does not know.
 */
export function unsupportedModule(name: string): string | undefined {
  if (POSE_DETECTORS.includes(name)) {
    return `module "${name}" detects poses in photos, which needs DWPose/OpenPose weights this project does not ship; OpenPose maps come from pose keyframes (a unit's "pose": OpenPose JSON, see \`deforum pose render\`), or ${PREPARED_MAP}`;
  }
  if (DEPTH_ESTIMATORS.includes(name)) {
    return `module "${name}" estimates depth, which comes from the project's depth model and is not wired into ControlNet yet; ${PREPARED_MAP}`;
  }
  if (OTHER_MODULES.includes(name)) return `module "${name}" needs a detector or model this project does not ship; ${PREPARED_MAP}`;
  return undefined;
}
