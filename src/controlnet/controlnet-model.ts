/**
 * A ControlNet exported on its own (docs/sd-pipeline.md §7.3 "Separate graphs"): `model.onnx` taking `sample`, `timestep`,
 * `encoder_hidden_states` and `controlnet_cond` ([B, 3, H, W] in [0, 1], §6.1) and giving one output per UNet residual
 * input, named like them (`down_block_0…`, `mid_block_additional_residual`). Sessions open through the pipeline's
 * `DeviceSessions`, so the ControlNet runs on the device and with the session options of the UNet.
 */
import type ort from 'onnxruntime-node';
import { ModelError } from '../errors.js';
import type { RawImage } from '../raw-image.js';
import { controlNetModelFile } from './controlnet-folder.js';
import type { DeviceSessions } from '../sampler/devices.js';
import { OnnxModel, floatTensor, intTensor, isDynamic, tensorFloats, type TensorSpec } from '../sampler/onnx-model.js';

const MID_RESIDUAL = 'mid_block_additional_residual';
const DOWN_RESIDUAL = /^down_block_(\d+)$/;

/** One ControlNet call: the UNet's own inputs for some rows, plus the pose map as one row [3, H, W] in [0, 1]. */
export interface ControlNetCall {
  sample: Float32Array;
  rows: number;
  latentHeight: number;
  latentWidth: number;
  timestep: number;
  context: Float32Array;
  tokens: number;
  condition: Float32Array;
}

/** The pose map as `controlnet_cond` for one row: planar RGB / 255 (docs/sd-pipeline.md §6.2 "Hint"). */
export function conditionPlanes(image: RawImage): Float32Array {
  const { width, height, channels, data } = image;
  const plane = width * height;
  const planes = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) planes[c * plane + i] = data[i * channels + c] / 255;
  }
  return planes;
}

/** The same row `rows` times (the pose map is the same for the prompt and the negative-prompt rows). */
function sameValues(a: Float32Array | undefined, b: Float32Array): boolean {
  return a !== undefined && a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}

function repeatRows(row: Float32Array, rows: number): Float32Array {
  if (rows === 1) return row;
  const out = new Float32Array(row.length * rows);
  for (let r = 0; r < rows; r++) out.set(row, r * row.length);
  return out;
}

export class ControlNetModel {
  /** Output names in UNet order: down_block_0 … down_block_{N−1}, then mid_block_additional_residual. */
  readonly residualNames: readonly string[];
  /** How many times residuals were asked for (for tests and benchmarks: a stopped unit must not run). */
  runs = 0;
  /** Whether one `controlnet_cond` row serves all rows (undefined until a multi-row call has checked). */
  private broadcastsCondition: boolean | undefined;
  private readonly repeats = new WeakMap<Float32Array, Map<number, Float32Array>>();

  private constructor(
    readonly dir: string,
    private readonly model: OnnxModel,
    private readonly inputs: { sample: TensorSpec; timestep: TensorSpec; context: TensorSpec; condition: TensorSpec },
  ) {
    const down = [...model.outputs.keys()]
      .filter((name) => DOWN_RESIDUAL.test(name))
      .sort((a, b) => Number(DOWN_RESIDUAL.exec(a)![1]) - Number(DOWN_RESIDUAL.exec(b)![1]));
    if (down.length === 0 || !model.outputs.has(MID_RESIDUAL)) {
      throw new ModelError(
        `${model.label}: expected outputs down_block_0 … down_block_N and ${MID_RESIDUAL} (named like the UNet's residual inputs); found ${[...model.outputs.keys()].join(', ') || 'none'}`,
      );
    }
    this.residualNames = [...down, MID_RESIDUAL];
  }

  static async open(dir: string, sessions: DeviceSessions): Promise<ControlNetModel> {
    const file = controlNetModelFile(dir);
    const model = await OnnxModel.open(file, sessions, file);
    const float = ['float32', 'float16'] as const;
    try {
      return new ControlNetModel(dir, model, {
        sample: model.require('input', { names: ['sample'], types: float, ranks: [4], shape: '[batch, 4, height/8, width/8]' }),
        timestep: model.require('input', { names: ['timestep'], types: [...float, 'int64', 'int32'], ranks: [0, 1], shape: '[] or [batch]' }),
        context: model.require('input', { names: ['encoder_hidden_states'], types: float, ranks: [3], shape: '[batch, 77·k, dim]' }),
        condition: model.require('input', { names: ['controlnet_cond'], types: float, ranks: [4], shape: '[batch, 3, height, width] in [0, 1]' }),
      });
    } catch (error) {
      await model.release();
      throw error;
    }
  }

  /** Whether the graph takes any number of rows (else it runs on all rows of a UNet call). */
  get dynamicBatch(): boolean {
    return isDynamic(this.inputs.sample.shape[0]);
  }

  /**
   * Residuals for `call.rows` rows, by output name, unscaled, float32. `call.condition` is one row: the pose map is
   * the same for every row. A graph whose `controlnet_cond` batch is dynamic usually broadcasts one row inside
   * (torch's `conv_in(sample) + cond_embedding(cond)`), which embeds the hint once instead of once per row; the first
   * multi-row call checks that this gives bit-identical residuals, and otherwise every call repeats the row.
   */
  async run(call: ControlNetCall): Promise<Record<string, Float32Array>> {
    this.runs += 1;
    if (call.rows === 1 || this.broadcastsCondition === false) return this.evaluate(call, this.repeated(call.condition, call.rows));
    if (this.broadcastsCondition) return this.evaluate(call, call.condition);
    const repeated = await this.evaluate(call, this.repeated(call.condition, call.rows));
    const broadcast = isDynamic(this.inputs.condition.shape[0]) ? await this.evaluate(call, call.condition).catch(() => undefined) : undefined;
    this.broadcastsCondition = broadcast !== undefined && this.residualNames.every((name) => sameValues(broadcast[name], repeated[name]));
    return repeated;
  }

  private repeated(row: Float32Array, rows: number): Float32Array {
    if (rows === 1) return row;
    let byRows = this.repeats.get(row);
    if (!byRows) this.repeats.set(row, (byRows = new Map()));
    let tensor = byRows.get(rows);
    if (!tensor) byRows.set(rows, (tensor = repeatRows(row, rows)));
    return tensor;
  }

  private async evaluate(call: ControlNetCall, conditionRows: Float32Array): Promise<Record<string, Float32Array>> {
    const { sample, timestep, context, condition } = this.inputs;
    const { rows, latentHeight, latentWidth, tokens } = call;
    const height = latentHeight * 8;
    const width = latentWidth * 8;
    const integer = timestep.type === 'int64' || timestep.type === 'int32';
    const t = integer ? Math.round(call.timestep) : call.timestep;
    const tDims = timestep.shape.length === 0 ? [] : [rows];
    const tValues = new Array<number>(tDims.length === 0 ? 1 : rows).fill(t);
    const feeds: Record<string, ort.Tensor> = {
      [sample.name]: floatTensor(sample, call.sample, [rows, 4, latentHeight, latentWidth]),
      [timestep.name]: integer ? intTensor(timestep, tValues, tDims) : floatTensor(timestep, Float32Array.from(tValues), tDims),
      [context.name]: floatTensor(context, call.context, [rows, tokens, call.context.length / rows / tokens]),
      [condition.name]: floatTensor(condition, conditionRows, [conditionRows.length / (3 * height * width), 3, height, width]),
    };
    const result = await this.model.run(feeds, this.residualNames);
    return Object.fromEntries(this.residualNames.map((name) => [name, tensorFloats(result[name])]));
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}
