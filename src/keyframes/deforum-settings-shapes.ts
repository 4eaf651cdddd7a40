/**
 * The shapes Deforum settings files come in, brought to the A1111 extension's names and values (docs/deforum.md §g,
 * "Settings file shapes"), so the import reads one shape:
 * - Deforum's own `deprecation_utils.py` map, applied as Deforum applies it when it loads an old file: `Match Frame 0
 *   LAB/RGB/HSV` → `LAB/RGB/HSV`, `flip_2d_perspective` → `enable_perspective_flip`, a boolean `hybrid_composite` or
 *   optical-flow switch → `Normal`/`DIS Fine` or `None`, the old ControlNet resize mode names, a number as a ControlNet
 *   weight or guidance schedule → `0:(n)`;
 * - the Colab/local notebook (`deforum-stable-diffusion`, DeforumStableDiffusionLocal run settings): `width`/`height`,
 *   the still-image `prompts` list beside `animation_prompts`, `hybrid_video_*`, a constant `scale`;
 * - Replicate's deforum_stable_diffusion inputs: `guidance_scale`, `num_inference_steps`, and `animation_prompts` as
 *   `"0: a | 30: b"` (read by `promptsOf`).
 * The result is a new object (the file's keys are a stranger's text: `__proto__` stays an own key); `writtenAs` maps a
 * renamed key back to the file's spelling, for messages that point into the file.
 */

type Settings = Record<string, unknown>;

export interface SettingsShape {
  settings: Settings;
  /** The extension's name → the key the file wrote, where they differ. */
  writtenAs: ReadonlyMap<string, string>;
}

/** The notebook's and Replicate's names for the extension's settings. */
const renamed: ReadonlyArray<[RegExp, (match: RegExpExecArray) => string]> = [
  [/^width$/, () => 'W'],
  [/^height$/, () => 'H'],
  [/^num_inference_steps$/, () => 'steps'],
  [/^guidance_scale$/, () => 'scale'],
  [/^flip_2d_perspective$/, () => 'enable_perspective_flip'],
  [/^skip_video_for_run_all$/, () => 'skip_video_creation'],
  [/^hybrid_video_(.+)$/, (m) => `hybrid_${m[1]}`],
];

const switchedTo = (on: string) => (value: unknown) => (value === true ? on : value === false ? 'None' : value);
const resizeModes = new Map([
  ['Envelope (Outer Fit)', 'Outer Fit (Shrink to Fit)'],
  ['Scale to Fit (Inner Fit)', 'Inner Fit (Scale to Fit)'],
]);

/** deprecation_utils.py's value replacements, by the extension's name. */
function deprecatedValue(key: string, value: unknown): unknown {
  if (key === 'color_coherence' && typeof value === 'string') return value.replace(/^Match Frame 0 (LAB|RGB|HSV)$/, '$1');
  if (key === 'hybrid_composite') return switchedTo('Normal')(value);
  if (key === 'optical_flow_cadence' || key === 'optical_flow_redo_generation') return switchedTo('DIS Fine')(value);
  if (/^cn_\d+_resize_mode$/.test(key) && typeof value === 'string') return resizeModes.get(value) ?? value;
  if (/^cn_\d+_(weight|guidance_start|guidance_end)$/.test(key) && typeof value === 'number') return `0:(${value})`;
  return value;
}

export function settingsShape(file: Settings): SettingsShape {
  const writtenAs = new Map<string, string>();
  const entries: Array<[string, unknown]> = [];
  const given = new Set(Object.keys(file));
  for (const [written, value] of Object.entries(file)) {
    const rename = renamed.map(([pattern, to]) => {
      const match = pattern.exec(written);
      return match ? to(match) : undefined;
    }).find((name) => name !== undefined);
    // the extension's own key wins over the notebook's spelling of it
    const key = rename !== undefined && !given.has(rename) ? rename : written;
    if (key !== written) writtenAs.set(key, written);
    // the notebook's still-image prompt list; its animation prompts are `animation_prompts`
    if (key === 'prompts' && Array.isArray(value) && given.has('animation_prompts')) continue;
    entries.push([key, deprecatedValue(key, value)]);
  }
  return { settings: Object.fromEntries(entries), writtenAs };
}
