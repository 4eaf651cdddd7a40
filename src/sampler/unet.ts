/**
 * The UNet graph: which timestep and batch conventions its export uses (docs/sd-pipeline.md §7.2), and its optional
 * ControlNet residual inputs `down_block_i` / `mid_block_additional_residual` (§7.3), fed zeros when no ControlNet
 * is active.
 */
import type ort from 'onnxruntime-node';
import { ModelError, UsageError } from '../errors.js';
import type { DeviceSessions } from './devices.js';
import type { UnetConfig } from './model-folder.js';
import { OnnxModel, floatTensor, intTensor, isDynamic, modelLabel, tensorFloats, type TensorSpec } from './onnx-model.js';
import { LATENT_CHANNELS } from './vae.js';

/** Residuals for one UNet call, per residual input name, each [rows, C, h_i, w_i] in C order. */
export type ControlResiduals = Readonly<Record<string, Float32Array>>;

const MID_RESIDUAL = 'mid_block_additional_residual';
const DOWN_RESIDUAL = /^down_block_(\d+)$/;

interface ResidualInput {
  spec: TensorSpec;
  channels: number;
  /** Spatial downsampling relative to the latent. */
  factor: number;
}

/**
 * diffusers' UNet2DConditionModel skip features, in order: conv_in, then per down block `layers_per_block` resnets
 * and (except the last block) a downsampler; the mid block sits at the last block's resolution (§6.1: 12 + mid for SD 1.5).
 */
function residualLayout(config: UnetConfig): { down: Array<{ channels: number; factor: number }>; mid: { channels: number; factor: number } } {
  const blocks = config.block_out_channels;
  const down = [{ channels: blocks[0], factor: 1 }];
  let factor = 1;
  blocks.forEach((channels, i) => {
    for (let layer = 0; layer < config.layers_per_block; layer++) down.push({ channels, factor });
    if (i < blocks.length - 1) {
      factor *= 2;
      down.push({ channels, factor });
    }
  });
  return { down, mid: { channels: blocks[blocks.length - 1], factor } };
}

/** A stride-2 convolution with padding 1 gives ceil(n/2). */
function downsample(size: number, factor: number): number {
  let n = size;
  for (let f = 1; f < factor; f *= 2) n = Math.ceil(n / 2);
  return n;
}

export interface UnetOptions {
  /** Called once with each warning about results that cannot match A1111 exactly. */
  warn?: (message: string) => void;
}

export class UNet {
  /** A fixed batch size, or undefined when the batch dimension is dynamic. */
  readonly fixedBatch: number | undefined;
  readonly timestepIsInteger: boolean;
  private readonly timestepScalar: boolean;
  private readonly residuals: ResidualInput[];
  private readonly zeroResiduals = new Map<string, ort.Tensor>();

  private constructor(
    private readonly model: OnnxModel,
    private readonly sample: TensorSpec,
    private readonly timestep: TensorSpec,
    readonly context: TensorSpec,
    private readonly output: TensorSpec,
    config: UnetConfig,
  ) {
    const batchDim = sample.shape[0];
    this.fixedBatch = isDynamic(batchDim) ? undefined : Number(batchDim);
    this.timestepIsInteger = timestep.type === 'int64' || timestep.type === 'int32';
    this.timestepScalar = timestep.shape.length === 0;
    this.residuals = this.readResiduals(config);
    const fed = new Set([sample.name, timestep.name, context.name, ...this.residualNames]);
    const unfed = [...this.model.inputs.keys()].filter((name) => !fed.has(name));
    if (unfed.length > 0) {
      throw new ModelError(
        `${this.model.label}: has inputs ${unfed.map((n) => `"${n}"`).join(', ')} that an SD 1.x/2.x UNet does not take (SDXL and other architectures are not supported); ` +
          'expected sample, timestep, encoder_hidden_states and optional ControlNet residuals',
      );
    }
  }

  static async open(file: string, sessions: DeviceSessions, root: string, config: UnetConfig, options: UnetOptions = {}): Promise<UNet> {
    const float = ['float32', 'float16'] as const;
    const unet = await OnnxModel.openWith(file, sessions, modelLabel(root, file), (model) => new UNet(
      model,
      model.require('input', { names: ['sample'], types: float, ranks: [4], shape: '[batch, 4, height/8, width/8]' }),
      model.require('input', { names: ['timestep'], types: [...float, 'int64', 'int32'], ranks: [0, 1], shape: '[] or [batch]' }),
      model.require('input', { names: ['encoder_hidden_states'], types: float, ranks: [3], shape: '[batch, 77·k, dim]' }),
      model.require('output', { names: ['out_sample', 'noise_pred'], types: float, ranks: [4], shape: '[batch, 4, height/8, width/8]' }),
      config,
    ));
    if (unet.timestepIsInteger) {
      options.warn?.(`${unet.label} takes an ${unet.timestep.type} timestep: fractional timesteps are rounded, so results are not AUTOMATIC1111-exact (export with a float timestep)`);
    }
    return unet;
  }

  private readResiduals(config: UnetConfig): ResidualInput[] {
    const names = [...this.model.inputs.keys()];
    const down = names
      .filter((name) => DOWN_RESIDUAL.test(name))
      .sort((a, b) => Number(DOWN_RESIDUAL.exec(a)![1]) - Number(DOWN_RESIDUAL.exec(b)![1]));
    if (down.length === 0 && !names.includes(MID_RESIDUAL)) return [];
    const layout = residualLayout(config);
    if (down.length !== layout.down.length || !names.includes(MID_RESIDUAL)) {
      throw new ModelError(
        `${this.model.label}: has ${down.length} down_block_* inputs${names.includes(MID_RESIDUAL) ? '' : ` and no ${MID_RESIDUAL}`}; ` +
          `unet/config.json (block_out_channels, layers_per_block) expects ${layout.down.length} down_block_* inputs and ${MID_RESIDUAL}`,
      );
    }
    const inputs = [...down.map((name, i) => ({ name, ...layout.down[i] })), { name: MID_RESIDUAL, ...layout.mid }];
    return inputs.map(({ name, channels, factor }) => {
      const spec = this.model.inputs.get(name)!;
      const declared = spec.shape[1];
      if (spec.shape.length !== 4 || (!isDynamic(declared) && declared !== channels)) {
        throw new ModelError(`${this.model.label}: input "${name}" has shape [${spec.shape.join(', ')}]; expected [batch, ${channels}, h, w] from unet/config.json`);
      }
      return { spec, channels, factor };
    });
  }

  get label(): string {
    return this.model.label;
  }

  /** Names of the ControlNet residual inputs (empty when the export has none). */
  get residualNames(): string[] {
    return this.residuals.map((r) => r.spec.name);
  }

  /** The shape of each residual input for `rows` rows of a latent of `height`×`width`. */
  residualShapes(rows: number, height: number, width: number): Record<string, number[]> {
    return Object.fromEntries(
      this.residuals.map((r) => [r.spec.name, [rows, r.channels, downsample(height, r.factor), downsample(width, r.factor)]]),
    );
  }

  /** Text states [rows, tokens, dim] as the tensor the UNet takes; build once per conditioning, reuse every step. */
  contextTensor(states: Float32Array, rows: number, tokens: number): ort.Tensor {
    const declared = this.context.shape[1];
    if (!isDynamic(declared) && declared !== tokens) {
      throw new ModelError(
        `${this.model.label} takes exactly ${declared} tokens of text states, but this prompt has ${tokens} (${tokens / 77} chunks of 75 tokens); ` +
          'shorten the prompt, or export the UNet with a dynamic sequence axis',
      );
    }
    return floatTensor(this.context, states, [rows, tokens, states.length / rows / tokens]);
  }

  /** A UNet exported with a fixed latent size takes only that image size. */
  checkImageSize(width: number, height: number): void {
    const [h, w] = [this.sample.shape[2], this.sample.shape[3]];
    if ((!isDynamic(h) && h !== height / 8) || (!isDynamic(w) && w !== width / 8)) {
      throw new UsageError(`${this.model.label} was exported for ${Number(w) * 8}×${Number(h) * 8} images only; got ${width}×${height}`);
    }
  }

  /**
   * One UNet call: `sample` [rows, 4, h, w] already multiplied by c_in, the fractional timestep, the text states
   * tensor, and optional ControlNet residuals → the model output (eps or v), float32.
   */
  async predict(sample: Float32Array, rows: number, height: number, width: number, timestep: number, context: ort.Tensor, residuals?: ControlResiduals): Promise<Float32Array> {
    const t = this.timestepIsInteger ? Math.round(timestep) : timestep;
    const tValues = this.timestepScalar ? [t] : new Array<number>(rows).fill(t);
    const tDims = this.timestepScalar ? [] : [rows];
    const feeds: Record<string, ort.Tensor> = {
      [this.sample.name]: floatTensor(this.sample, sample, [rows, LATENT_CHANNELS, height, width]),
      [this.timestep.name]: this.timestepIsInteger ? intTensor(this.timestep, tValues, tDims) : floatTensor(this.timestep, Float32Array.from(tValues), tDims),
      [this.context.name]: context,
    };
    const shapes = this.residualShapes(rows, height, width);
    for (const { spec } of this.residuals) {
      const given = residuals?.[spec.name];
      const shape = shapes[spec.name];
      if (given) {
        if (given.length !== shape.reduce((a, b) => a * b, 1)) {
          throw new ModelError(`ControlNet residual "${spec.name}" has ${given.length} values; the UNet expects [${shape.join(', ')}]`, 1);
        }
        feeds[spec.name] = floatTensor(spec, given, shape);
      } else {
        feeds[spec.name] = this.zeros(spec, shape);
      }
    }
    const result = await this.model.run(feeds, [this.output.name]);
    return tensorFloats(result[this.output.name]);
  }

  /** Zero residuals are the same every step: allocated once per shape. */
  private zeros(spec: TensorSpec, shape: number[]): ort.Tensor {
    const key = `${spec.name}:${shape.join('x')}`;
    let tensor = this.zeroResiduals.get(key);
    if (!tensor) {
      tensor = floatTensor(spec, new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
      this.zeroResiduals.set(key, tensor);
    }
    return tensor;
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}
