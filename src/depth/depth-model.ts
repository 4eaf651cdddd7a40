/**
 * One ONNX depth model on one device: opened once, then `predict` per frame gives the map Deforum's 3D warp takes (the
 * raw prediction at the frame's size, docs/deforum-3d.md). Sessions are opened through the sampler's `DeviceSessions`,
 * so a depth model follows the same device choice and fallback as Stable Diffusion.
 */
import path from 'node:path';
import { ModelError } from '../errors.js';
import { resizeImage } from '../image-file.js';
import { modelFingerprint } from '../model-fingerprint.js';
import type { RawImage } from '../raw-image.js';
import { DeviceSessions, type Device, type DeviceProbe, type DeviceRequest } from '../sampler/devices.js';
import { floatTensor, OnnxModel, tensorFloats } from '../sampler/onnx-model.js';
import { depthLayout, type DepthLayout, type DepthLayoutKind } from './depth-layout.js';
import { resizedInputSize, type Size } from './input-size.js';
import { locateDepthModel } from './model-files.js';
import { readPreprocessorConfig } from './preprocessor-config.js';
import { depthFromOutput } from './prediction.js';

export interface DepthLoadOptions {
  /** `auto` (default): CUDA, then WebGPU, then the CPU. */
  device?: DeviceRequest;
  /** Relative model paths are resolved against it (default: the working directory). */
  baseDir?: string;
  /** Notes for the user: the device, fallbacks; `detail` ones are for --verbose. */
  log?: (message: string, level?: 'detail') => void;
  probe?: DeviceProbe;
}

export interface DepthModelDescription {
  name: string;
  path: string;
  /** modelFingerprint over the graph, its external weights and its preprocessor config. */
  fingerprint: string;
  layout: DepthLayoutKind;
  device: Device;
}

export class DepthModel {
  private constructor(
    private readonly model: OnnxModel,
    private readonly layout: DepthLayout,
    private readonly description: DepthModelDescription,
  ) {}

  /** `model`: a bundled name, a model folder or an .onnx file (model-files.ts). */
  static async load(model: string, options: DepthLoadOptions = {}): Promise<DepthModel> {
    const files = locateDepthModel(model, options.baseDir);
    const config = files.config && readPreprocessorConfig(files.config.file, files.config.label);
    const sessions = new DeviceSessions(options.device ?? 'auto', { probe: options.probe });
    return OnnxModel.openWith(files.onnx, sessions, files.label, (onnx) => {
      const layout = depthLayout(onnx, config);
      for (const { device, reason } of sessions.skipped) options.log?.(`depth model: device ${device} skipped: ${reason}`, 'detail');
      for (const warning of sessions.warnings) options.log?.(`warning: depth model: ${warning}`);
      return new DepthModel(onnx, layout, {
        name: files.name,
        path: files.onnx,
        fingerprint: modelFingerprint(path.dirname(files.onnx), files.contents),
        layout: layout.kind,
        device: sessions.device,
      });
    });
  }

  get device(): Device {
    return this.description.device;
  }

  /** What a frame's job hash records of the depth model: its name and content fingerprint. */
  get id(): string {
    return `${this.description.name}@${this.description.fingerprint}`;
  }

  describe(): DepthModelDescription {
    return { ...this.description };
  }

  /** The size a frame of this size is fed to the network at. */
  inputSize(frame: Size): Size {
    const p = this.layout.preprocessing;
    if (!p.resize) return frame;
    return p.fixed ? p.size : resizedInputSize(frame, p.size, p.keepAspectRatio, p.multiple);
  }

  /** The depth map of a frame: row-major H×W float32 at the frame's size (larger = nearer for these layouts). */
  async predict(image: RawImage): Promise<Float32Array> {
    const size = this.inputSize(image);
    const resized = await resizeImage(image, size.width, size.height, this.layout.preprocessing.kernel);
    const feed = floatTensor(this.layout.input, this.pixelValues(resized), [1, 3, size.height, size.width]);
    const outputs = await this.model.run({ [this.layout.input.name]: feed }, [this.layout.output.name]);
    const tensor = outputs[this.layout.output.name];
    const dims = tensor.dims;
    const outputSize = { height: Number(dims[dims.length - 2]), width: Number(dims[dims.length - 1]) };
    const values = tensorFloats(tensor);
    if (dims.length < 2 || values.length !== outputSize.height * outputSize.width) {
      throw new ModelError(`${this.model.label}: output "${this.layout.output.name}" has shape [${dims.join(', ')}]; expected one map [1, height, width]`, 1);
    }
    return depthFromOutput(values, outputSize, image, this.layout.kind);
  }

  /** CHW float32: each channel value × rescale, then (v − mean)/std. */
  private pixelValues(image: RawImage): Float32Array {
    const { rescale, mean, std } = this.layout.preprocessing;
    const plane = image.width * image.height;
    const out = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < plane; i++) out[c * plane + i] = (image.data[i * image.channels + c] * rescale - mean[c]) / std[c];
    }
    return out;
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}
