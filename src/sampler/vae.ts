/**
 * The VAE: image <-> scaled latent. Encoding uses the posterior mean (docs/sd-pipeline.md §4.2: A1111 samples it from an
 * unseeded RNG, so only the mean is reproducible); decoding rounds to 8 bits as A1111 does.
 */
import type { RawImage } from '../raw-image.js';
import { ModelError } from '../errors.js';
import type { DeviceSessions } from './devices.js';
import { OnnxModel, floatTensor, modelLabel, tensorFloats, type TensorSpec } from './onnx-model.js';

export const LATENT_CHANNELS = 4;

/**
 * HWC uint8 -> CHW float in [-1, 1]: A1111 divides by 255 in float32 (numpy), then `2·x − 1` in torch float32.
 * Alpha is flattened over white (A1111's img2img background).
 */
export function imageToModelInput(image: RawImage): Float32Array {
  const { width, height, channels, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const alpha = channels === 4 ? data[i * 4 + 3] / 255 : 1;
    for (let c = 0; c < 3; c++) {
      const value = data[i * channels + c] * alpha + 255 * (1 - alpha);
      out[c * plane + i] = 2 * Math.fround(value / 255) - 1;
    }
  }
  return out;
}

/**
 * CHW decoder output in [-1, 1] -> RGB uint8. A1111 (processing.py) clamps `(x+1)/2` to [0, 1] in float32, then
 * `(255. * x).astype(np.uint8)`, which truncates; the float32 rounding of each step is kept.
 */
export function modelOutputToImage(values: Float32Array, width: number, height: number): RawImage {
  const plane = width * height;
  const data = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const x = Math.min(1, Math.max(0, Math.fround(Math.fround(values[c * plane + i] + 1) / 2)));
      data[i * 3 + c] = Math.trunc(Math.fround(255 * x));
    }
  }
  return { width, height, channels: 3, data };
}

interface VaeSessions {
  encoder?: { model: OnnxModel; input: TensorSpec; output: TensorSpec };
  decoder: { model: OnnxModel; input: TensorSpec; output: TensorSpec };
}

export class Vae {
  private constructor(
    private readonly sessions: VaeSessions,
    readonly scalingFactor: number,
  ) {}

  static async open(files: { encoder?: string; decoder: string; scalingFactor: number }, sessions: DeviceSessions, root: string): Promise<Vae> {
    const float = ['float32', 'float16'] as const;
    const decoder = await OnnxModel.openWith(files.decoder, sessions, modelLabel(root, files.decoder), (model) => ({
      model,
      input: model.require('input', { names: ['latent_sample'], types: float, ranks: [4], shape: '[batch, 4, height/8, width/8]' }),
      output: model.require('output', { names: ['sample'], types: float, ranks: [4], shape: '[batch, 3, height, width]' }),
    }));
    if (!files.encoder) return new Vae({ decoder }, files.scalingFactor);
    try {
      const encoder = await OnnxModel.openWith(files.encoder, sessions, modelLabel(root, files.encoder), (model) => ({
        model,
        input: model.require('input', { names: ['sample'], types: float, ranks: [4], shape: '[batch, 3, height, width] in [-1, 1]' }),
        output: model.require('output', {
          names: ['latent_parameters', 'latent_sample', 'latent_dist'],
          types: float,
          ranks: [4],
          shape: '[batch, 8 (mean‖logvar) or 4, height/8, width/8]',
        }),
      }));
      return new Vae({ encoder, decoder }, files.scalingFactor);
    } catch (error) {
      await decoder.model.release();
      throw error;
    }
  }

  get canEncode(): boolean {
    return this.sessions.encoder !== undefined;
  }

  /** An RGB(A) image at the generation size -> its latent times the scaling factor, [1, 4, h/8, w/8]. */
  async encode(image: RawImage): Promise<Float32Array> {
    const encoder = this.sessions.encoder;
    if (!encoder) throw new ModelError('this VAE has no encoder (vae_encoder/model.onnx), which img2img needs');
    const feeds = { [encoder.input.name]: floatTensor(encoder.input, imageToModelInput(image), [1, 3, image.height, image.width]) };
    const result = (await encoder.model.run(feeds, [encoder.output.name]))[encoder.output.name];
    const values = tensorFloats(result);
    const plane = (values.length / Number(result.dims[1])) | 0;
    // mean‖logvar exports (latent_parameters / latent_dist): the first half of the channels is the mean
    const mean = Number(result.dims[1]) === 2 * LATENT_CHANNELS ? values.subarray(0, LATENT_CHANNELS * plane) : values;
    if (mean.length !== LATENT_CHANNELS * plane) {
      throw new ModelError(`${encoder.model.label}: output "${encoder.output.name}" has ${result.dims[1]} channels; expected 4 or 8 (mean‖logvar)`);
    }
    // ldm get_first_stage_encoding: scale_factor * z, in float32
    const scale = Math.fround(this.scalingFactor);
    return mean.map((v) => v * scale);
  }

  /** A scaled latent [1, 4, height/8, width/8] -> RGB image. */
  async decode(latent: Float32Array, width: number, height: number): Promise<RawImage> {
    const { model, input, output } = this.sessions.decoder;
    // ldm decode_first_stage: 1. / scale_factor * z, a float32 multiply by the reciprocal
    const inverse = Math.fround(1 / this.scalingFactor);
    const scaled = latent.map((v) => v * inverse);
    const feeds = { [input.name]: floatTensor(input, scaled, [1, LATENT_CHANNELS, height / 8, width / 8]) };
    const result = (await model.run(feeds, [output.name]))[output.name];
    return modelOutputToImage(tensorFloats(result), width, height);
  }

  async release(): Promise<void> {
    await Promise.all([this.sessions.encoder?.model.release(), this.sessions.decoder.model.release()]);
  }
}
