/**
 * The k-diffusion denoiser around the UNet with classifier-free guidance, as A1111's CFGDenoiser: scalings of
 * docs/sd-pipeline.md §3.1 (eps or v), every AND sub-prompt and the negative prompt as rows of batched UNet calls, combined
 * as `uncond + Σ w·cfg·(cond_i − uncond)` on the denoised estimates (§1.2).
 */
import type ort from 'onnxruntime-node';
import { scheduledAt } from './prompt/schedule.js';
import type { Denoiser } from './types.js';
import type { ControlResiduals, UNet } from './unet.js';
import { LATENT_CHANNELS } from './vae.js';

/** CLIP states of one prompt (its 77-token chunks concatenated), [1, tokens, dim]. */
export interface TextStates {
  data: Float32Array;
  tokens: number;
  dim: number;
}

/**
 * Text states over one sampling run (A1111 prompt editing, docs/sd-pipeline.md §1.1): an entry applies while the denoiser
 * call counter (0-based, +1 per call, as A1111's `CFGDenoiser.step`) is ≤ its `endStep`; a plain prompt is one entry.
 */
export type StatesSchedule = ReadonlyArray<{ endStep: number; states: TextStates }>;

/** A positive prompt: its AND sub-prompts, each with its weight (1 for a plain prompt). */
export interface PromptConditioning {
  parts: ReadonlyArray<{ schedule: StatesSchedule; weight: number }>;
}

/** A schedule that never changes. */
export function constantStates(states: TextStates): StatesSchedule {
  return [{ endStep: Number.POSITIVE_INFINITY, states }];
}

export type RowKind = 'cond' | 'uncond';

/** What a ControlNet needs for one UNet call; rows are in the order of `rows`. */
export interface ControlInput {
  /** The UNet's `sample` input: x·c_in repeated per row, [rows.length, 4, latentHeight, latentWidth]. */
  sample: Float32Array;
  sigma: number;
  /** The timestep the UNet receives (fractional). */
  timestep: number;
  /** The UNet's `encoder_hidden_states` for these rows, [rows.length, tokens, dim]. */
  context: Float32Array;
  tokens: number;
  /** Which rows carry the prompt and which the negative prompt: zero the `uncond` rows for cond-only injection. */
  rows: readonly RowKind[];
  /** 0-based index of the sampler step this call belongs to, and the number of steps actually run. */
  step: number;
  totalSteps: number;
  latentHeight: number;
  latentWidth: number;
  /** The shape each returned residual must have, by UNet input name. */
  residualShapes: Readonly<Record<string, readonly number[]>>;
}

/**
 * ControlNet hook, called once per UNet call: residuals by UNet input name (`down_block_i`,
 * `mid_block_additional_residual`), already scaled (per block, per row) — or undefined for no control this call.
 */
export type ControlHook = (input: ControlInput) => Promise<ControlResiduals | undefined> | ControlResiduals | undefined;

export type Prediction = 'epsilon' | 'v_prediction';

export interface GuidanceOptions {
  unet: UNet;
  cond: PromptConditioning;
  uncond: StatesSchedule;
  cfg: number;
  prediction: Prediction;
  latentHeight: number;
  latentWidth: number;
  sigmaToT: (sigma: number) => number;
  /** The sampler steps the plan runs, for the ControlNet hook's guidance range. */
  totalSteps: number;
  control?: ControlHook;
}

interface RowGroup {
  /** Index into the row list of each batch row (a fixed-batch UNet may repeat the last one as padding). */
  rows: number[];
  kinds: RowKind[];
  tokens: number;
  context: Float32Array;
  tensor: ort.Tensor;
}

/**
 * A1111's `reconstruct_multicond_batch`: AND sub-prompts of different lengths are stacked into one tensor, the shorter
 * ones padded by repeating their last token vector.
 */
function padToTokens(states: TextStates, tokens: number): TextStates {
  if (states.tokens === tokens) return states;
  const data = new Float32Array(tokens * states.dim);
  data.set(states.data);
  const last = states.data.subarray((states.tokens - 1) * states.dim);
  for (let t = states.tokens; t < tokens; t++) data.set(last, t * states.dim);
  return { data, tokens, dim: states.dim };
}

/**
 * Rows with the same token count share one UNet call when the batch is dynamic; A1111 runs cond and uncond of
 * different lengths as separate calls (§1.4). A fixed batch size is filled by repeating the group's last row.
 */
function groupRows(unet: UNet, states: readonly TextStates[], kinds: readonly RowKind[]): RowGroup[] {
  const byTokens = new Map<number, number[]>();
  states.forEach((s, i) => byTokens.set(s.tokens, [...(byTokens.get(s.tokens) ?? []), i]));
  const groups: RowGroup[] = [];
  for (const [tokens, members] of byTokens) {
    const size = unet.fixedBatch ?? members.length;
    for (let start = 0; start < members.length; start += size) {
      const rows = members.slice(start, start + size);
      while (rows.length < size) rows.push(rows[rows.length - 1]);
      const dim = states[rows[0]].dim;
      const context = new Float32Array(rows.length * tokens * dim);
      rows.forEach((row, r) => context.set(states[row].data, r * tokens * dim));
      groups.push({ rows, kinds: rows.map((row) => kinds[row]), tokens, context, tensor: unet.contextTensor(context, rows.length, tokens) });
    }
  }
  return groups;
}

/** k-diffusion scalings in float32, as torch computes them on a float32 sigma. */
function scalings(sigma: number, prediction: Prediction): { cIn: number; cOut: number; cSkip: number } {
  const s = Math.fround(sigma);
  const s2p1 = Math.fround(Math.fround(s * s) + 1);
  const root = Math.fround(Math.sqrt(s2p1));
  const cIn = Math.fround(1 / root);
  if (prediction === 'v_prediction') return { cIn, cOut: Math.fround(-s / root), cSkip: Math.fround(1 / s2p1) };
  return { cIn, cOut: -s, cSkip: 1 };
}

/** The UNet input of one call at σ: x scaled by c_in, the timestep, and the scalings that turn its output into x0. */
interface CallInput {
  x: Float32Array;
  xIn: Float32Array;
  sigma: number;
  timestep: number;
  step: number;
  scale: { cOut: number; cSkip: number };
}

/** One UNet call over a group of rows (with their ControlNet residuals): each row's denoised latent, c_out·model + c_skip·x. */
async function denoiseGroup(options: GuidanceOptions, group: RowGroup, input: CallInput): Promise<Float32Array[]> {
  const { unet, latentHeight, latentWidth, totalSteps, control } = options;
  const { x, xIn, sigma, timestep, step, scale } = input;
  const size = x.length;
  const n = group.rows.length;
  const sample = new Float32Array(n * size);
  for (let r = 0; r < n; r++) sample.set(xIn, r * size);
  const residuals = control
    ? await control({
        sample,
        sigma,
        timestep,
        context: group.context,
        tokens: group.tokens,
        rows: group.kinds,
        step,
        totalSteps,
        latentHeight,
        latentWidth,
        residualShapes: unet.residualShapes(n, latentHeight, latentWidth),
      })
    : undefined;
  const out = await unet.predict(sample, n, latentHeight, latentWidth, timestep, group.tensor, residuals);
  return group.rows.map((_, r) => {
    const model = out.subarray(r * size, (r + 1) * size);
    const d = new Float32Array(size);
    for (let i = 0; i < size; i++) d[i] = Math.fround(model[i] * scale.cOut) + Math.fround(x[i] * scale.cSkip);
    return d;
  });
}

/** CFG: uncond + Σ wᵢ·(condᵢ − uncond), each term rounded to float32 as torch computes it. */
function combineGuidance(denoised: readonly Float32Array[], uncondRow: number, weights: readonly number[]): Float32Array {
  const base = denoised[uncondRow];
  const result = Float32Array.from(base);
  weights.forEach((w, part) => {
    const c = denoised[part];
    for (let i = 0; i < result.length; i++) result[i] += Math.fround(Math.fround(c[i] - base[i]) * w);
  });
  return result;
}

export function guidedDenoiser(options: GuidanceOptions): Denoiser {
  const { unet, cond, uncond, cfg, prediction, latentHeight, latentWidth, sigmaToT } = options;
  const schedules = [...cond.parts.map((p) => p.schedule), uncond];
  const kinds: RowKind[] = [...cond.parts.map((): RowKind => 'cond'), 'uncond'];
  const weights = cond.parts.map((p) => Math.fround(p.weight * cfg));
  const uncondRow = schedules.length - 1;
  // UNet batches per combination of schedule entries: built once, reused every step the combination is active
  const batches = new Map<string, RowGroup[]>();
  const groupsAt = (call: number): RowGroup[] => {
    const entries = schedules.map((schedule) => schedule.indexOf(scheduledAt(schedule, call)));
    const key = entries.join(',');
    let groups = batches.get(key);
    if (!groups) {
      const active = entries.map((entry, row) => schedules[row][entry].states);
      const condTokens = Math.max(...active.slice(0, uncondRow).map((s) => s.tokens));
      groups = groupRows(unet, active.map((s, row) => (row === uncondRow ? s : padToTokens(s, condTokens))), kinds);
      batches.set(key, groups);
    }
    return groups;
  };
  let call = 0;

  return async (x, sigma, step) => {
    if (x.length !== LATENT_CHANNELS * latentHeight * latentWidth) throw new RangeError(`latent has ${x.length} values, expected 4×${latentHeight}×${latentWidth}`);
    const groups = groupsAt(call);
    call += 1;
    const { cIn, cOut, cSkip } = scalings(sigma, prediction);
    const input: CallInput = { x, xIn: x.map((v) => v * cIn), sigma, timestep: sigmaToT(sigma), step, scale: { cOut, cSkip } };
    const denoised: Float32Array[] = new Array(schedules.length);
    for (const group of groups) (await denoiseGroup(options, group, input)).forEach((d, r) => (denoised[group.rows[r]] = d));
    return combineGuidance(denoised, uncondRow, weights);
  };
}
