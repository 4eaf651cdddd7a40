/**
 * ControlNet units → the pipeline's per-UNet-call residuals, as sd-webui-controlnet applies them (docs/sd-pipeline.md §6.2):
 * - guidance window: percent = A1111's `state.sampling_step` / steps run; a unit is stopped when percent < start or
 *   percent > end, and a stopped unit is not run and adds nothing;
 * - scales: `balanced` gives every residual the unit's weight; `prompt` ("My prompt is more important") and
 *   `controlnet` ("ControlNet is more important") give down block i of N weight·0.825^(N−i) and the middle block the
 *   weight (soft injection); `controlnet` also zeroes the negative-prompt rows (cond-only injection), so those rows
 *   never need the ControlNet at all;
 * - several units are summed. A unit of weight 0 is skipped, so the frame is exactly the frame without it.
 */
import { ModelError } from '../errors.js';
import type { RawImage } from '../raw-image.js';
import type { ControlHook, ControlInput, RowKind } from '../sampler/cfg-denoiser.js';
import type { ControlResiduals } from '../sampler/unet.js';
import { conditionPlanes, type ControlNetModel } from './controlnet-model.js';
import type { ControlMode } from './modes.js';

/** One unit on one frame: the values the plan computed and the frame's pose map at render size. */
export interface ControlUnitFrame {
  model: ControlNetModel;
  image: RawImage;
  weight: number;
  guidanceStart: number;
  guidanceEnd: number;
  controlMode: ControlMode;
}

const SOFT_INJECTION_BASE = 0.825; // hook.py soft weights, docs/sd-pipeline.md §6.2

/**
 * A1111's guidance window test while the 0-based sampler step `step` of `totalSteps` is computed. A1111's
 * `state.sampling_step`, which ControlNet divides by the steps run, is 0 at launch and set to i by the sampler
 * callback after step i (sd_samplers_common.py `launch_sampling`, `callback_state`): during step k it is k − 1
 * (0 for k = 0), for both calls of a second-order step.
 */
export function isGuided(step: number, totalSteps: number, guidanceStart: number, guidanceEnd: number): boolean {
  const percent = Math.max(0, step - 1) / totalSteps;
  return !(percent < guidanceStart || percent > guidanceEnd);
}

/** Scale per residual, down blocks first (highest resolution first), the middle block last. */
export function blockScales(weight: number, mode: ControlMode, downBlocks: number): number[] {
  return Array.from({ length: downBlocks + 1 }, (_, i) => (mode === 'balanced' ? weight : weight * SOFT_INJECTION_BASE ** (downBlocks - i)));
}

/** Which rows of a UNet call receive control: all, or only the prompt rows for cond-only injection. */
export function controlledRows(rows: readonly RowKind[], mode: ControlMode): boolean[] {
  return rows.map((kind) => mode !== 'controlnet' || kind === 'cond');
}

function pick(data: Float32Array, rows: readonly number[], rowSize: number): Float32Array {
  const out = new Float32Array(rows.length * rowSize);
  rows.forEach((row, r) => out.set(data.subarray(row * rowSize, (row + 1) * rowSize), r * rowSize));
  return out;
}

/** Checks once per UNet shape that this ControlNet's outputs are the UNet's residual inputs. */
function checkMatch(model: ControlNetModel, shapes: ControlInput['residualShapes']): void {
  const expected = Object.keys(shapes);
  if (expected.length === 0) {
    throw new ModelError(`the UNet has no ControlNet residual inputs (down_block_*, mid_block_additional_residual); export it with them to use ${model.dir}`);
  }
  const names = model.residualNames;
  if (names.length !== expected.length || !expected.every((name) => names.includes(name))) {
    throw new ModelError(`${model.dir}: ControlNet outputs ${names.join(', ')} do not match the UNet's residual inputs ${expected.join(', ')}`);
  }
}

/** The pipeline hook for one frame, or undefined when no unit has any effect (no ControlNet runs at all). */
export function controlHook(units: readonly ControlUnitFrame[]): ControlHook | undefined {
  const active = units.filter((unit) => unit.weight !== 0 && unit.guidanceStart <= unit.guidanceEnd);
  if (active.length === 0) return undefined;
  // the pose map as controlnet_cond, built once per frame
  const conditions = active.map((unit) => conditionPlanes(unit.image));
  const checked = new Set<ControlNetModel>();

  return async (input) => {
    let total: Record<string, Float32Array> | undefined;
    for (const [u, unit] of active.entries()) {
      if (!isGuided(input.step, input.totalSteps, unit.guidanceStart, unit.guidanceEnd)) continue;
      const { model } = unit;
      if (!checked.has(model)) {
        checkMatch(model, input.residualShapes);
        checked.add(model);
      }
      if (unit.image.width !== input.latentWidth * 8 || unit.image.height !== input.latentHeight * 8) {
        throw new RangeError(`pose map is ${unit.image.width}×${unit.image.height}; the frame is ${input.latentWidth * 8}×${input.latentHeight * 8}`);
      }
      const mask = controlledRows(input.rows, unit.controlMode);
      const wanted = mask.flatMap((on, row) => (on ? [row] : []));
      if (wanted.length === 0) continue;
      // a dynamic-batch ControlNet runs only the rows that get control
      const runRows = model.dynamicBatch ? wanted : input.rows.map((_, row) => row);
      const sampleRow = input.sample.length / input.rows.length;
      const contextRow = input.context.length / input.rows.length;
      const subset = runRows.length < input.rows.length;
      const residuals = await model.run({
        sample: subset ? pick(input.sample, runRows, sampleRow) : input.sample,
        context: subset ? pick(input.context, runRows, contextRow) : input.context,
        rows: runRows.length,
        latentHeight: input.latentHeight,
        latentWidth: input.latentWidth,
        timestep: input.timestep,
        tokens: input.tokens,
        condition: conditions[u],
      });
      const scales = blockScales(unit.weight, unit.controlMode, model.residualNames.length - 1);
      total ??= Object.fromEntries(Object.entries(input.residualShapes).map(([name, shape]) => [name, new Float32Array(shape.reduce((a, b) => a * b, 1))]));
      model.residualNames.forEach((name, block) => {
        const out = residuals[name];
        const sum = total![name];
        const rowSize = sum.length / input.rows.length;
        if (out.length !== runRows.length * rowSize) {
          throw new ModelError(`${model.dir}: output ${name} has ${out.length / runRows.length} values per row; the UNet's ${name} takes ${rowSize}`);
        }
        const scale = scales[block];
        runRows.forEach((row, r) => {
          if (!mask[row]) return;
          // float32 like torch: each control scaled, then the units summed
          for (let i = 0; i < rowSize; i++) sum[row * rowSize + i] += Math.fround(out[r * rowSize + i] * scale);
        });
      });
    }
    return total as ControlResiduals | undefined;
  };
}
