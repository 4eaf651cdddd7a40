/**
 * The two ONNX depth-model layouts a frame's depth is predicted with, told apart by the graph's input names:
 *
 * - Depth-Anything (`onnx-community/depth-anything-v2-small`, the bundled tiny-depth): input `pixel_values`
 *   [batch, 3, height, width] with height and width multiples of 14 around 518 keeping the frame's aspect, RGB
 *   rescaled by 1/255 and normalised with ImageNet's mean and std (transformers' DPTImageProcessor); output
 *   `predicted_depth` [batch, height, width], relative inverse depth (larger = nearer).
 * - MiDaS v2.1 small (`model-small.onnx`): one image input [1, 3, 256, 256] of RGB in 0…1 (MiDaS's
 *   tf/make_onnx_model.py exports the network with the ImageNet normalisation inside the graph and without tensor
 *   names, so the names are torch's and are not relied on), resized to the fixed size without keeping the aspect
 *   (MiDaS's run_onnx.py), bicubic; one output [1, 256, 256] of relative inverse depth.
 *
 * A `preprocessor_config.json` beside the model overrides the defaults field by field; a graph with fixed height and
 * width is always fed exactly that size.
 */
import type ort from 'onnxruntime-node';
import { ModelError } from '../errors.js';
import type { ResizeKernel } from '../image-file.js';
import { isDynamic, type OnnxModel, type TensorSpec } from '../sampler/onnx-model.js';
import type { PreprocessorConfig } from './preprocessor-config.js';
import type { Size } from './input-size.js';

export type DepthLayoutKind = 'depth-anything' | 'midas';

export interface Preprocessing {
  /** False: the frame goes in at its own size. */
  resize: boolean;
  size: Size;
  /** The graph fixes height and width: the frame is resized to exactly `size`. */
  fixed: boolean;
  keepAspectRatio: boolean;
  multiple: number;
  kernel: ResizeKernel;
  /** Each 0…255 channel value is multiplied by `rescale`, then normalised as (v − mean)/std per channel. */
  rescale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export interface DepthLayout {
  kind: DepthLayoutKind;
  input: TensorSpec;
  output: TensorSpec;
  preprocessing: Preprocessing;
}

const FLOATS: ort.Tensor.Type[] = ['float32', 'float16'];
// PIL's filter numbers (what transformers resizes with) as the image adapter's kernels
const KERNELS: Record<0 | 1 | 2 | 3, ResizeKernel> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic' };

/** DPTImageProcessor's settings in Depth-Anything-V2-Small's preprocessor_config.json. */
const DEPTH_ANYTHING: Preprocessing = {
  resize: true,
  size: { width: 518, height: 518 },
  fixed: false,
  keepAspectRatio: true,
  multiple: 14,
  kernel: 'cubic',
  rescale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** MiDaS v2.1 small's run_onnx.py: 256×256, cv2 bicubic, RGB/255, the normalisation in the graph. */
const MIDAS: Preprocessing = {
  resize: true,
  size: { width: 256, height: 256 },
  fixed: false,
  keepAspectRatio: false,
  multiple: 32,
  kernel: 'cubic',
  rescale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
};

type Normalisation = Pick<Preprocessing, 'mean' | 'std'>;
const NO_NORMALISATION: Normalisation = { mean: [0, 0, 0], std: [1, 1, 1] };
const DPT_DEFAULT: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** The mean and std a config file sets. */
function defined(c: PreprocessorConfig): Partial<Normalisation> {
  return { ...(c.image_mean && { mean: c.image_mean }), ...(c.image_std && { std: c.image_std }) };
}

function describe(spec: TensorSpec): string {
  return `"${spec.name}" (${spec.type} [${spec.shape.join(', ')}])`;
}

/** The single image input a MiDaS export has, whatever torch named it. */
function midasInput(model: OnnxModel): TensorSpec {
  const inputs = [...model.inputs.values()];
  if (inputs.length !== 1 || !FLOATS.includes(inputs[0].type) || inputs[0].shape.length !== 4) {
    throw new ModelError(
      `${model.label}: expected input "pixel_values" (float [batch, 3, height, width], Depth-Anything) or one float image input [1, 3, height, width] (MiDaS); found inputs ${inputs.map(describe).join(', ') || 'none'}`,
    );
  }
  return inputs[0];
}

function midasOutput(model: OnnxModel): TensorSpec {
  const first = [...model.outputs.values()][0];
  if (!first || !FLOATS.includes(first.type) || ![3, 4].includes(first.shape.length)) {
    throw new ModelError(`${model.label}: expected a float depth output [1, height, width] (MiDaS); found outputs ${[...model.outputs.values()].map(describe).join(', ') || 'none'}`);
  }
  return first;
}

function checkImageInput(model: OnnxModel, input: TensorSpec): void {
  const [batch, channels] = input.shape;
  if (!isDynamic(channels) && channels !== 3) throw new ModelError(`${model.label}: input ${describe(input)} takes ${channels} channels; expected 3 (RGB)`);
  if (!isDynamic(batch) && batch !== 1) throw new ModelError(`${model.label}: input ${describe(input)} takes a batch of ${batch}; expected 1 or a dynamic batch`);
}

/** Layout defaults, then the config file's fields, then the graph's fixed size. */
function preprocessing(defaults: Preprocessing, config: PreprocessorConfig | undefined, input: TensorSpec): Preprocessing {
  const c = config ?? {};
  // a config that turns normalisation on without values gets DPTImageProcessor's own defaults (0.5, 0.5)
  const normalisation = c.do_normalize === false ? NO_NORMALISATION : c.do_normalize ? { ...DPT_DEFAULT, ...defined(c) } : { mean: defaults.mean, std: defaults.std, ...defined(c) };
  const result: Preprocessing = {
    resize: c.do_resize ?? defaults.resize,
    size: c.size ?? defaults.size,
    fixed: false,
    keepAspectRatio: c.keep_aspect_ratio ?? defaults.keepAspectRatio,
    multiple: c.ensure_multiple_of ?? defaults.multiple,
    kernel: c.resample === undefined ? defaults.kernel : KERNELS[c.resample],
    rescale: c.do_rescale === false ? 1 : (c.rescale_factor ?? defaults.rescale),
    ...normalisation,
  };
  const [, , height, width] = input.shape;
  if (typeof height === 'number' && typeof width === 'number' && height > 0 && width > 0) return { ...result, resize: true, fixed: true, size: { width, height } };
  return result;
}

export function depthLayout(model: OnnxModel, config: PreprocessorConfig | undefined): DepthLayout {
  if (model.inputs.has('pixel_values')) {
    const input = model.require('input', { names: ['pixel_values'], types: FLOATS, ranks: [4], shape: '[batch, 3, height, width]' });
    const others = [...model.inputs.keys()].filter((name) => name !== 'pixel_values');
    if (others.length > 0) throw new ModelError(`${model.label}: takes inputs ${others.map((n) => `"${n}"`).join(', ')} besides "pixel_values"; a depth model is fed the image alone`);
    checkImageInput(model, input);
    const output = model.require('output', { names: ['predicted_depth'], types: FLOATS, ranks: [3, 4], shape: '[batch, height, width]' });
    return { kind: 'depth-anything', input, output, preprocessing: preprocessing(DEPTH_ANYTHING, config, input) };
  }
  const input = midasInput(model);
  checkImageInput(model, input);
  return { kind: 'midas', input, output: midasOutput(model), preprocessing: preprocessing(MIDAS, config, input) };
}
