/**
 * Deforum features deforum-ts does not have, each with the settings that belong to it: an import lists a feature
 * that is on as one line (its mode and main values), and drops a feature that is off with all its settings, which do
 * nothing in Deforum then either (docs/deforum.md §d, §g; args.py of the A1111 extension and its Forge fork, the
 * notebook's DeforumArgs).
 */

import { preview } from './deforum-values.js';

type Settings = Record<string, unknown>;

export interface Feature {
  /** The settings that belong to the feature. */
  keys: RegExp;
  /** Whether the file switches it on. */
  on: (s: Settings) => boolean;
  /** The one line an import lists when it is on. */
  line: (s: Settings) => string;
}


/** `name value, name value` of the settings that are given and not off. */
const values = (s: Settings, names: string[]): string =>
  names
    .filter((name) => isSet(s[name]))
    .map((name) => `${name} ${preview(s[name], 40)}`)
    .join(', ');

const isSet = (value: unknown, off: unknown[] = ['None', false, '', null, undefined]) => !off.includes(value);

const guidanceScales = (s: Settings) =>
  ['clip_scale', 'aesthetics_scale', 'colormatch_scale', 'exposure_scale', 'mean_scale', 'var_scale', 'init_mse_scale', 'blue_scale'].filter((name) => typeof s[name] === 'number' && s[name] !== 0);

const feature = (keys: RegExp, on: (s: Settings) => boolean, name: string, shownKeys: string[], why = 'not supported yet'): Feature => ({
  keys,
  on,
  line: (s) => `${name} (${values(s, shownKeys)}): ${why}`,
});

/** Switched features, in the order an import lists them. */
export const features: readonly Feature[] = [
  {
    keys: /^hybrid_/,
    on: (s) => isSet(s.hybrid_composite) || isSet(s.hybrid_motion),
    // the flow method is read by the optical-flow motion only
    line: (s) => `hybrid video (${values(s, ['hybrid_composite', 'hybrid_motion', ...(s.hybrid_motion === 'Optical Flow' ? ['hybrid_flow_method'] : [])])}): not supported yet; the frames are made without the video`,
  },
  feature(/^(use_mask|mask_file|invert_mask|mask_contrast_adjust|mask_brightness_adjust|overlay_mask|mask_overlay_blur|fill|full_res_mask|full_res_mask_padding|use_alpha_as_mask)$/, (s) => s.use_mask === true, 'mask', ['mask_file', 'invert_mask']),
  feature(/^(use_noise_mask|noise_mask_schedule|mask_schedule)$/, (s) => s.use_noise_mask === true, 'noise mask', ['mask_schedule', 'noise_mask_schedule']),
  feature(/^(use_looper|init_images|image_strength_schedule|blendFactorMax|blendFactorSlope|tweening_frames_schedule|color_correction_factor)$/, (s) => s.use_looper === true, 'guided images (looper)', ['image_strength_schedule', 'tweening_frames_schedule']),
  feature(/^(optical_flow_cadence|cadence_flow_factor_schedule)$/, (s) => isSet(s.optical_flow_cadence), 'optical flow cadence', ['optical_flow_cadence', 'cadence_flow_factor_schedule'], 'not supported yet; in-between frames are blended without flow'),
  feature(/^(optical_flow_redo_generation|redo_flow_factor_schedule)$/, (s) => isSet(s.optical_flow_redo_generation), 'optical flow redo', ['optical_flow_redo_generation', 'redo_flow_factor_schedule']),
  feature(/^diffusion_redo$/, (s) => isSet(s.diffusion_redo, ['0', 0, '', null, undefined, false]), 'diffusion redo', ['diffusion_redo']),
  feature(/^(enable_subseed_scheduling|subseed_schedule|subseed_strength_schedule)$/, (s) => s.enable_subseed_scheduling === true, 'subseed scheduling', ['subseed_schedule', 'subseed_strength_schedule']),
  feature(/^(enable_checkpoint_scheduling|checkpoint_schedule)$/, (s) => s.enable_checkpoint_scheduling === true, 'checkpoint scheduling', ['checkpoint_schedule'], 'not supported yet; one model renders every frame'),
  feature(/^(enable_clipskip_scheduling|clipskip_schedule)$/, (s) => s.enable_clipskip_scheduling === true, 'CLIP skip scheduling', ['clipskip_schedule']),
  feature(/^(enable_ddim_eta_scheduling|ddim_eta_schedule)$/, (s) => s.enable_ddim_eta_scheduling === true, 'DDIM eta scheduling', ['ddim_eta_schedule']),
  feature(/^(enable_scheduler_scheduling|scheduler_schedule)$/, (s) => s.enable_scheduler_scheduling === true, 'scheduler scheduling', ['scheduler_schedule']),
  feature(/^(enable_ancestral_eta_scheduling|ancestral_eta_schedule)$/, (s) => s.enable_ancestral_eta_scheduling === true, 'ancestral eta scheduling', ['ancestral_eta_schedule']),
  feature(/^(reroll_blank_frames|reroll_patience)$/, (s) => isSet(s.reroll_blank_frames, ['ignore', '', null, undefined, false]), 'blank frame reroll', ['reroll_blank_frames', 'reroll_patience']),
  feature(/^r_upscale_/, (s) => s.r_upscale_video === true, 'upscaling', ['r_upscale_model', 'r_upscale_factor'], 'not supported yet; upscale the video afterwards'),
  feature(/^frame_interpolation_/, (s) => isSet(s.frame_interpolation_engine), 'frame interpolation', ['frame_interpolation_engine', 'frame_interpolation_x_amount', 'frame_interpolation_slow_mo_enabled'], 'not supported yet; interpolate the video afterwards'),
  // the notebook's gradient conditioning (DeforumArgs *_scale); every scale 0 is off
  {
    keys: /^(mean_scale|var_scale|exposure_scale|exposure_target|colormatch_scale|colormatch_image|colormatch_n_colors|ignore_sat_weight|clip_name|clip_scale|aesthetics_scale|cutn|cut_pow|init_mse_scale|init_mse_image|blue_scale|gradient_wrt|gradient_add_to|decode_method|grad_threshold_type|clamp_grad_threshold|clamp_start|clamp_stop|grad_inject_timing|cond_uncond_sync)$/,
    on: (s) => guidanceScales(s).length > 0,
    line: (s) => `conditional guidance (${values(s, guidanceScales(s))}): not supported yet`,
  },
  // the Forge fork (sd-forge-deforum)
  feature(/^(shake_name|shake_intensity|shake_speed)$/, (s) => isSet(s.shake_name), 'Camera Shakify', ['shake_name', 'shake_intensity', 'shake_speed']),
  feature(/^(keyframe_distribution|keyframe_strength_schedule|image_keyframe_strength_schedule)$/, (s) => isSet(s.keyframe_distribution, ['Off', 'None', '', null, undefined, false]), 'keyframe distribution', ['keyframe_distribution', 'keyframe_strength_schedule'], 'not supported yet; every diffusion_cadence-th frame is diffused'),
  feature(/^freeu_/, (s) => s.freeu_enabled === true, 'FreeU', ['freeu_b1', 'freeu_b2', 'freeu_s1', 'freeu_s2']),
  feature(/^kohya_hrfix_/, (s) => s.kohya_hrfix_enabled === true, 'Kohya HR fix', ['kohya_hrfix_block_number', 'kohya_hrfix_downscale_factor']),
];

/**
 * Settings that do nothing in a 2D animation (3D carries its own; the import refuses the other modes): those of 3D, Video Input,
 * Interpolation and the Forge fork's Wan Video, Flux's distilled CFG, and the colour sample of the Video Input colour
 * coherence (itself listed).
 */
export const notIn2D: readonly RegExp[] = [
  /^(translation_z|rotation_3d_[xyz]|fov_schedule|near_schedule|far_schedule|aspect_ratio_schedule|aspect_ratio_use_old_formula|use_depth_warping|depth_algorithm|midas_weight|padding_mode|sampling_mode|near_plane|far_plane|fov|use_zoe_depth|save_depth_maps)$/,
  /^(video_init_path|extract_nth_frame|extract_from_frame|extract_to_frame|use_mask_video|video_mask_path|video_same_size)$/,
  /^(interpolate_key_frames|interpolate_x_frames)$/,
  /^(wan_|distilled_cfg_scale_schedule$)/,
  /^color_coherence_video_every_N_frames$/,
];
