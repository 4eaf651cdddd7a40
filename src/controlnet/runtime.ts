/**
 * The ControlNet side of a render: every enabled unit's ONNX ControlNet, opened once before the first frame (so a bad
 * model fails early; a model shared by several units is opened once), and per frame the pose maps the job names and
 * the pipeline hook. The render loop owns frames and files; this owns sessions and the pose maps' temporary frames.
 */
import type { RawImage } from '../raw-image.js';
import type { ControlHook } from '../sampler/cfg-denoiser.js';
import { DeviceSessions, type Device } from '../sampler/devices.js';
import { controlHook } from './control-hook.js';
import { ControlNetModel } from './controlnet-model.js';
import type { ControlMode, ResizeMode } from './modes.js';
import { PoseMaps, type PoseMapContext } from './pose-maps.js';
import type { UnitFrame } from './unit-frame.js';

/** What the runtime needs of a unit beyond its per-frame values (a keyframe file's `controlnet` entry has it). */
export interface RuntimeUnit {
  enabled: boolean;
  model: string;
  controlMode: ControlMode;
  resizeMode: ResizeMode;
}

export interface ControlNetRuntimeOptions extends PoseMapContext {
  /** The device the Stable Diffusion sessions run on (`StableDiffusion.device`). */
  device: Device;
  /** A unit's `model` (bundled name or path) → its folder. */
  modelDir: (model: string) => string;
}

interface OpenUnit {
  unit: RuntimeUnit;
  model: ControlNetModel;
}

export class ControlNetRuntime {
  private constructor(private readonly units: OpenUnit[], private readonly models: ControlNetModel[], private readonly poseMaps: PoseMaps) {}

  /** Opens the enabled units, in file order; a FrameJob's `controlnet[i]` refers to the i-th enabled unit. */
  static async open(units: readonly RuntimeUnit[], options: ControlNetRuntimeOptions): Promise<ControlNetRuntime> {
    const sessions = new DeviceSessions(options.device);
    const models = new Map<string, ControlNetModel>();
    const opened: OpenUnit[] = [];
    try {
      for (const unit of units) {
        if (!unit.enabled) continue;
        const dir = options.modelDir(unit.model);
        const model = models.get(dir) ?? (await ControlNetModel.open(dir, sessions));
        models.set(dir, model);
        opened.push({ unit, model });
      }
    } catch (error) {
      await Promise.all([...models.values()].map((model) => model.release()));
      throw error;
    }
    return new ControlNetRuntime(opened, [...models.values()], new PoseMaps(options));
  }

  /**
   * The pose maps of a frame and the hook that applies them with the frame's values (one entry per enabled unit).
   * `hook` is undefined when every unit has weight 0: the frame is then made exactly as without ControlNet.
   */
  async frame(values: readonly UnitFrame[]): Promise<{ poseMaps: RawImage[]; hook: ControlHook | undefined }> {
    const poseMaps = await Promise.all(this.units.map(({ unit }, i) => this.poseMaps.mapAt(i, values[i].pose, unit.resizeMode)));
    const hook = controlHook(
      this.units.map(({ unit, model }, i) => ({
        model,
        image: poseMaps[i],
        controlMode: unit.controlMode,
        weight: values[i].weight,
        guidanceStart: values[i].guidanceStart,
        guidanceEnd: values[i].guidanceEnd,
      })),
    );
    return { poseMaps, hook };
  }

  async close(): Promise<void> {
    await Promise.all([this.poseMaps.close(), ...this.models.map((model) => model.release())]);
  }
}
