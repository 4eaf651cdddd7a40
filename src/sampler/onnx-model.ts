/**
 * One ONNX graph behind a session: its declared inputs and outputs (names, dtypes, shapes, read from the session
 * without running it), checked against what a component needs, and tensors built in the dtype the graph declares.
 */
import path from 'node:path';
import ort from 'onnxruntime-node';
import { ModelError } from '../errors.js';
import type { DeviceSessions } from './devices.js';
import { fromHalf, toHalf } from './half-float.js';

export interface TensorSpec {
  name: string;
  type: ort.Tensor.Type;
  /** Symbolic dimensions are strings; a scalar has shape []. */
  shape: ReadonlyArray<number | string>;
}

/** One tensor a component needs: any of the accepted names (exporters differ), dtypes and ranks. */
export interface TensorRequirement {
  names: readonly string[];
  types: readonly ort.Tensor.Type[];
  ranks: readonly number[];
  /** Human description of the expected shape, for the error message. */
  shape: string;
}

function describeSpec(spec: TensorSpec): string {
  return `"${spec.name}" (${spec.type} [${spec.shape.join(', ')}])`;
}

function specsOf(metadata: readonly ort.InferenceSession.ValueMetadata[]): Map<string, TensorSpec> {
  const specs = new Map<string, TensorSpec>();
  for (const value of metadata) {
    if (value.isTensor) specs.set(value.name, { name: value.name, type: value.type, shape: value.shape });
  }
  return specs;
}

export class OnnxModel {
  readonly inputs: ReadonlyMap<string, TensorSpec>;
  readonly outputs: ReadonlyMap<string, TensorSpec>;

  private constructor(
    /** The model file, relative to the model folder in messages. */
    readonly label: string,
    private readonly session: ort.InferenceSession,
  ) {
    this.inputs = specsOf(session.inputMetadata);
    this.outputs = specsOf(session.outputMetadata);
  }

  static async open(file: string, sessions: DeviceSessions, label = file): Promise<OnnxModel> {
    try {
      return new OnnxModel(label, await sessions.open(file));
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new ModelError(`${label}: onnxruntime cannot load this ONNX file: ${reason}`, 2, { cause: error });
    }
  }

  /** Opens a graph and checks it with `build`; a graph that fails the check is released before the error goes up. */
  static async openWith<T>(file: string, sessions: DeviceSessions, label: string, build: (model: OnnxModel) => T | Promise<T>): Promise<T> {
    const model = await OnnxModel.open(file, sessions, label);
    try {
      return await build(model);
    } catch (error) {
      await model.release();
      throw error;
    }
  }

  /** The spec matching a requirement, or a ModelError naming what was found and what is expected. */
  require(kind: 'input' | 'output', requirement: TensorRequirement): TensorSpec {
    const specs = kind === 'input' ? this.inputs : this.outputs;
    const spec = requirement.names.map((name) => specs.get(name)).find((found) => found !== undefined);
    const expected = `${kind} ${requirement.names.map((name) => `"${name}"`).join(' or ')} (${requirement.types.join('/')} ${requirement.shape})`;
    if (!spec) {
      const found = [...specs.values()].map(describeSpec).join(', ') || 'none';
      throw new ModelError(`${this.label}: expected ${expected}; found ${kind}s ${found}`);
    }
    // onnxruntime reports an unknown shape as [], so rank 0 cannot rule a tensor out
    const rankOk = spec.shape.length === 0 || requirement.ranks.includes(spec.shape.length);
    if (!requirement.types.includes(spec.type) || !rankOk) {
      throw new ModelError(`${this.label}: expected ${expected}; found ${describeSpec(spec)}`);
    }
    return spec;
  }

  async run(feeds: Record<string, ort.Tensor>, outputs: readonly string[]): Promise<Record<string, ort.Tensor>> {
    try {
      return await this.session.run(feeds, outputs);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new ModelError(`${this.label}: inference failed: ${reason}`, 1, { cause: error });
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function modelLabel(root: string, file: string): string {
  return path.relative(root, file) || file;
}

/** A float tensor in the dtype the graph declares (fp32, or fp16 as Uint16Array bits). */
export function floatTensor(spec: TensorSpec, data: Float32Array, dims: readonly number[]): ort.Tensor {
  if (spec.type === 'float16') return new ort.Tensor('float16', toHalf(data), dims);
  return new ort.Tensor('float32', data, dims);
}

/** Integer values (token ids, timesteps) as the int32 or int64 tensor the graph declares. */
export function intTensor(spec: TensorSpec, data: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  if (spec.type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(Array.from(data, (v) => BigInt(v))), dims);
  return new ort.Tensor('int32', Int32Array.from(data), dims);
}

/** A float output as float32, whatever precision the graph computed in. */
export function tensorFloats(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float16') return fromHalf(tensor.data as Uint16Array);
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  throw new ModelError(`expected a float output, got ${tensor.type}`, 1);
}

/** True when the dimension can take any value (symbolic, or -1 from some exporters). */
export function isDynamic(dim: number | string | undefined): boolean {
  return typeof dim === 'string' || dim === undefined || dim < 0;
}
