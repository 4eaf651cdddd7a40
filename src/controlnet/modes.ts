/**
 * The ControlNet vocabulary the keyframe file composes: control modes and resize modes, canonical and as
 * sd-webui-controlnet and Deforum display them. A leaf: the schema reads it without loading image code.
 */

export const CONTROL_MODES = ['balanced', 'prompt', 'controlnet'] as const;
export type ControlMode = (typeof CONTROL_MODES)[number];

/** sd-webui-controlnet's `ControlMode` values (docs/sd-pipeline.md §6.2). */
export const CONTROL_MODE_NAMES: Record<string, ControlMode> = {
  Balanced: 'balanced',
  'My prompt is more important': 'prompt',
  'ControlNet is more important': 'controlnet',
};

/** How a control image of another size fits the frame (docs/deforum.md §e `resize_mode`; pose-fit.ts does it). */
export const RESIZE_MODES = ['just-resize', 'inner-fit', 'outer-fit'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

/** Deforum's and sd-webui-controlnet's `ResizeMode` names (docs/deforum.md §e; external_code.py aliases). */
export const RESIZE_MODE_NAMES: Record<string, ResizeMode> = {
  'Just Resize': 'just-resize',
  'Inner Fit (Scale to Fit)': 'inner-fit',
  'Crop and Resize': 'inner-fit',
  'Outer Fit (Shrink to Fit)': 'outer-fit',
  'Resize and Fill': 'outer-fit',
};
