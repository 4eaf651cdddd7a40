/**
 * The CLIP text encoder graph: one 77-token chunk in, its states out, with A1111's clip skip (docs/sd-pipeline.md §1.4):
 * `hidden_states[-N]` followed by the encoder's final LayerNorm.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type ort from 'onnxruntime-node';
import { ModelError } from '../errors.js';
import type { DeviceSessions } from './devices.js';
import { OnnxModel, intTensor, modelLabel, tensorFloats, type TensorSpec } from './onnx-model.js';
import { CHUNK_TOKENS } from './prompt/chunks.js';

const BOS = 49406;
const EOS = 49407;
/** CLIPTextConfig.layer_norm_eps, when text_encoder/config.json does not say. */
const DEFAULT_LAYER_NORM_EPS = 1e-5;

interface LayerNorm {
  gamma: Float64Array;
  beta: Float64Array;
  eps: number;
}

/** LayerNorm over the last axis of [tokens, dim], in float64, stored as float32. */
export function layerNorm(x: Float32Array, dim: number, ln: LayerNorm): Float32Array {
  const out = new Float32Array(x.length);
  for (let start = 0; start < x.length; start += dim) {
    let mean = 0;
    for (let d = 0; d < dim; d++) mean += x[start + d];
    mean /= dim;
    let variance = 0;
    for (let d = 0; d < dim; d++) variance += (x[start + d] - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / dim + ln.eps);
    for (let d = 0; d < dim; d++) out[start + d] = (x[start + d] - mean) * inv * ln.gamma[d] + ln.beta[d];
  }
  return out;
}

/**
 * The final LayerNorm's weight and bias, recovered from one run of the encoder: `last_hidden_state` is exactly
 * `LN(hidden_states[-1])`, so per feature the output is an affine function (gamma, beta) of the normalised input,
 * solved by least squares over the 77 tokens. This needs no ONNX protobuf parsing and works for every exporter's
 * initializer naming, fp16 included; a fit that does not hold means the export is not CLIP-shaped and is refused.
 */
export function fitLayerNorm(pre: Float32Array, post: Float32Array, dim: number, eps: number, label: string): LayerNorm {
  const unit: LayerNorm = { gamma: new Float64Array(dim).fill(1), beta: new Float64Array(dim), eps };
  const normalised = layerNorm(pre, dim, unit);
  const tokens = pre.length / dim;
  const gamma = new Float64Array(dim);
  const beta = new Float64Array(dim);
  let worst = 0;
  let scale = 0;
  for (let d = 0; d < dim; d++) {
    let mx = 0;
    let my = 0;
    for (let t = 0; t < tokens; t++) {
      mx += normalised[t * dim + d];
      my += post[t * dim + d];
    }
    mx /= tokens;
    my /= tokens;
    let sxy = 0;
    let sxx = 0;
    for (let t = 0; t < tokens; t++) {
      const dx = normalised[t * dim + d] - mx;
      sxy += dx * (post[t * dim + d] - my);
      sxx += dx * dx;
    }
    gamma[d] = sxx > 0 ? sxy / sxx : 0;
    beta[d] = my - gamma[d] * mx;
    for (let t = 0; t < tokens; t++) {
      const y = post[t * dim + d];
      worst = Math.max(worst, Math.abs(gamma[d] * normalised[t * dim + d] + beta[d] - y));
      scale = Math.max(scale, Math.abs(y));
    }
  }
  if (!(worst <= 1e-2 * Math.max(scale, 1))) {
    throw new ModelError(`${label}: last_hidden_state is not a LayerNorm of the last hidden state, so clip skip cannot be applied to this export`);
  }
  return { gamma, beta, eps };
}

/** A chunk of varied tokens, so that every feature varies across positions when fitting the LayerNorm. */
function probeChunk(): Int32Array {
  const ids = new Int32Array(CHUNK_TOKENS).fill(EOS);
  ids[0] = BOS;
  for (let i = 1; i < 60; i++) ids[i] = 300 + ((i * 7919) % 40000);
  return ids;
}

export class TextEncoder {
  private constructor(
    private readonly model: OnnxModel,
    private readonly input: TensorSpec,
    /** The output the states come from: last_hidden_state, or hidden_states.K for clip skip. */
    private readonly output: string,
    readonly dim: number,
    private readonly finalNorm: LayerNorm | undefined,
    readonly clipSkip: number,
  ) {}

  /**
   * @param clipSkip A1111's "Clip skip" (CLIP_stop_at_last_layers): 1 = the last layer; N > 1 needs an export with
   *   `hidden_states.*` outputs.
   */
  static async open(file: string, sessions: DeviceSessions, root: string, clipSkip = 1): Promise<TextEncoder> {
    if (!Number.isInteger(clipSkip) || clipSkip < 1) throw new ModelError(`--clip-skip must be an integer ≥ 1, got ${clipSkip}`);
    const label = modelLabel(root, file);
    return OnnxModel.openWith(file, sessions, label, async (model) => {
      const input = model.require('input', { names: ['input_ids'], types: ['int32', 'int64'], ranks: [2], shape: '[batch, 77]' });
      const last = model.require('output', { names: ['last_hidden_state'], types: ['float32', 'float16'], ranks: [3], shape: '[batch, 77, dim]' });
      const unfed = [...model.inputs.keys()].filter((name) => name !== input.name && name !== 'attention_mask');
      if (unfed.length > 0) throw new ModelError(`${label}: has inputs ${unfed.map((n) => `"${n}"`).join(', ')} besides input_ids (and attention_mask); expected a CLIP text encoder`);
      const probe = (outputs: string[]) => model.run(textFeeds(model, input, probeChunk()), outputs);
      const declaredDim = last.shape[2];
      if (clipSkip === 1) {
        const dim = typeof declaredDim === 'number' && declaredDim > 0 ? declaredDim : (await probe([last.name]))[last.name].size / CHUNK_TOKENS;
        return new TextEncoder(model, input, last.name, dim, undefined, 1);
      }
      const hidden = [...model.outputs.keys()].filter((name) => /^hidden_states\.\d+$/.test(name));
      if (hidden.length === 0) {
        throw new ModelError(`${label} has no hidden_states.* outputs, so --clip-skip ${clipSkip} is not possible; export the text encoder with output_hidden_states, or use --clip-skip 1`);
      }
      const layers = hidden.length - 1;
      if (clipSkip > layers) throw new ModelError(`--clip-skip ${clipSkip} is too large: ${label} has ${layers} layers (hidden_states.0..${layers})`);
      const states = await probe([last.name, `hidden_states.${layers}`]);
      const post = tensorFloats(states[last.name]);
      const dim = post.length / CHUNK_TOKENS;
      const finalNorm = fitLayerNorm(tensorFloats(states[`hidden_states.${layers}`]), post, dim, layerNormEps(file), label);
      return new TextEncoder(model, input, `hidden_states.${layers + 1 - clipSkip}`, dim, finalNorm, clipSkip);
    });
  }

  /** One chunk of 77 token ids → its states [77, dim], float32. */
  async encodeChunk(ids: Int32Array): Promise<Float32Array> {
    if (ids.length !== CHUNK_TOKENS) throw new RangeError(`a chunk has ${CHUNK_TOKENS} tokens, got ${ids.length}`);
    const result = await this.model.run(textFeeds(this.model, this.input, ids), [this.output]);
    const states = tensorFloats(result[this.output]);
    return this.finalNorm ? layerNorm(states, this.dim, this.finalNorm) : states;
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}

/**
 * The encoder's inputs for one chunk. Some exports also take `attention_mask`: all ones, which is what CLIP computes
 * without a mask (A1111 passes none; padding is EOS tokens the causal mask already handles).
 */
function textFeeds(model: OnnxModel, input: TensorSpec, ids: Int32Array): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = { [input.name]: intTensor(input, ids, [1, CHUNK_TOKENS]) };
  const mask = model.inputs.get('attention_mask');
  if (mask) feeds[mask.name] = intTensor(mask, new Int32Array(CHUNK_TOKENS).fill(1), [1, CHUNK_TOKENS]);
  return feeds;
}

function layerNormEps(modelFile: string): number {
  const config = path.join(path.dirname(modelFile), 'config.json');
  if (!existsSync(config)) return DEFAULT_LAYER_NORM_EPS;
  try {
    const eps = (JSON.parse(readFileSync(config, 'utf8')) as { layer_norm_eps?: unknown }).layer_norm_eps;
    return typeof eps === 'number' && eps > 0 ? eps : DEFAULT_LAYER_NORM_EPS;
  } catch {
    return DEFAULT_LAYER_NORM_EPS;
  }
}
