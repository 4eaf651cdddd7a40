/**
 * The ControlNet side of a render: every enabled unit's pose source and ONNX ControlNet, opened once before the first
 * frame (so bad pose files and models fail early), then per frame the pose maps and the pipeline hook. A model shared
 * by several units is opened once. The render loop owns frames and files; this owns sessions and temporary frames.
 */
import type { RawImage } from '../raw-image.js';
import type { ControlHook } from '../sampler/cfg-denoiser.js';
import { DeviceSessions, type Device } from '../sampler/devices.js';
import { controlHook } from './control-hook.js';
import { ControlNetModel } from './controlnet-model.js';
import { openPoseSource, type PoseIdentity, type PoseSource, type PoseSourceContext } from './pose-source.js';
import type { UnitFrameValues } from './modes.js';
import type { ControlNetUnit } from './unit-schema.js';

export interface ControlNetRuntimeOptions extends Omit<PoseSourceContext, 'name'> {
  /** The device the Stable Diffusion sessions run on (`StableDiffusion.device`). */
  device: Device;
  /** A unit's `model` (bundled name or path) → its folder. */
  modelDir: (model: string) => string;
}

interface OpenUnit {
  unit: ControlNetUnit;
  source: PoseSource;
  model: ControlNetModel;
}

export class ControlNetRuntime {
  private constructor(private readonly units: OpenUnit[], private readonly models: ControlNetModel[]) {}

  /** Opens the enabled units, in file order; `units[i]` of a FrameJob's values refers to the i-th enabled unit. */
  static async open(units: readonly ControlNetUnit[], options: ControlNetRuntimeOptions): Promise<ControlNetRuntime> {
    const sessions = new DeviceSessions(options.device);
    const models = new Map<string, ControlNetModel>();
    const sources: PoseSource[] = [];
    const opened: OpenUnit[] = [];
    try {
      for (const [index, unit] of units.entries()) {
        if (!unit.enabled) continue;
        const source = await openPoseSource(unit.pose, unit, { ...options, name: `controlnet[${index}].pose` });
        sources.push(source);
        const dir = options.modelDir(unit.model);
        const model = models.get(dir) ?? (await ControlNetModel.open(dir, sessions));
        models.set(dir, model);
        opened.push({ unit, source, model });
      }
    } catch (error) {
      await Promise.all([...sources.map((source) => source.close()), ...[...models.values()].map((model) => model.release())]);
      throw error;
    }
    return new ControlNetRuntime(opened, [...models.values()]);
  }

  get unitCount(): number {
    return this.units.length;
  }

  /** Per enabled unit, what identifies the frame's pose map (for the FrameJob hash). */
  identitiesAt(frame: number): PoseIdentity[] {
    return this.units.map(({ source }) => source.identityAt(frame));
  }

  /**
   * The pose maps of a frame and the hook that applies them with the frame's values (one entry per enabled unit).
   * `hook` is undefined when every unit has weight 0: the frame is then made exactly as without ControlNet.
   */
  async frame(frame: number, values: readonly UnitFrameValues[]): Promise<{ poseMaps: RawImage[]; hook: ControlHook | undefined }> {
    const poseMaps = await Promise.all(this.units.map(({ source }) => source.imageAt(frame)));
    const hook = controlHook(
      this.units.map(({ unit, model }, i) => ({ model, image: poseMaps[i], controlMode: unit.controlMode, ...values[i] })),
    );
    return { poseMaps, hook };
  }

  async close(): Promise<void> {
    await Promise.all([...this.units.map(({ source }) => source.close()), ...this.models.map((model) => model.release())]);
  }
}
