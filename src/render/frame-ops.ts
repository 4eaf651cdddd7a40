/**
 * The adapter from a FrameJob to the stages that make its pixels: each job group goes whole to its stage — `motion`
 * to the camera move (2D warp, or the 3D warp with the depth model's prediction), `prepare` to the init preparation, `diffusion` (with the frame size, the init image and the
 * ControlNet hook) to Stable Diffusion. The renderer computes no per-frame value here; the plan did.
 */
import path from 'node:path';
import type { ControlNetRuntime } from '../controlnet/runtime.js';
import { encodePng } from '../image-file.js';
import { blend } from '../motion/blend.js';
import { moveCamera, usesDepth } from '../motion/camera.js';
import { prepareInit } from '../motion/prepare-init.js';
import type { FrameJob } from '../plan/frame-job.js';
import type { RawImage } from '../raw-image.js';
import { TorchGenerator } from '../sampler/noise.js';
import type { StableDiffusion } from '../sampler/pipeline.js';
import { writeFileDurable, type RenderFs } from './durable-fs.js';
import type { RenderEvent } from './events.js';
import type { FrameWork } from './frame-loop.js';
import type { RenderFolder } from './render-folder.js';

/** A depth model as the render uses it (`depth/depth-model.ts`): the raw prediction at the image's size. */
export interface DepthPredictor {
  predict(image: RawImage): Promise<Float32Array>;
}

export interface FrameOpsContext {
  sd: StableDiffusion;
  /** 3D renders and saved depth maps: the file's depth model. */
  depth?: DepthPredictor;
  saveDepthMaps?: boolean;
  size: { width: number; height: number };
  /** The file's init image, for frame 0 when the plan says `init-image`. */
  initImage?: RawImage;
  controlnet?: ControlNetRuntime;
  /** Write each frame's pose maps to `detectmaps/` (never into the frames). */
  detectMaps?: { fs: RenderFs; folder: RenderFolder };
  emit: (event: RenderEvent) => void;
  signal?: AbortSignal;
}

/** The pose maps as `detectmaps/<frame>-<unit>.png`, as Deforum's ControlNet saves its detected maps. */
async function saveDetectMaps(target: NonNullable<FrameOpsContext['detectMaps']>, frame: number, maps: readonly RawImage[]): Promise<void> {
  const { fs, folder } = target;
  await fs.mkdir(folder.detectMapsDir);
  const stem = path.basename(folder.frameFile(frame), '.png');
  for (const [unit, map] of maps.entries()) await writeFileDurable(fs, path.join(folder.detectMapsDir, `${stem}-${unit}.png`), await encodePng(map));
}

export function frameOps(context: FrameOpsContext): FrameWork<FrameJob> {
  const { sd, size } = context;
  return {
    warp: (image, job, depth) => moveCamera(image, job.motion, depth),
    depth: async (image, job, use) => {
      const needed = (use.warp && usesDepth(job.motion)) || (use.save && context.saveDepthMaps === true);
      return needed && context.depth ? context.depth.predict(image) : undefined;
    },
    prepareInit: (warped, job, reference) => prepareInit(warped, job.prepare, reference, new TorchGenerator(job.diffusion.seed)),
    diffuse: async (job, init) => {
      const control = context.controlnet && job.controlnet ? await context.controlnet.frame(job.controlnet) : undefined;
      if (control && context.detectMaps) await saveDetectMaps(context.detectMaps, job.frame, control.poseMaps);
      const image = init ?? (job.source === 'init-image' ? context.initImage : undefined);
      const { prompt, promptBlend, strength, noiseMultiplier, ...run } = job.diffusion;
      return sd.generate({
        ...run,
        width: size.width,
        height: size.height,
        prompt: prompt.positive,
        negativePrompt: prompt.negative,
        promptBlend: promptBlend && { prompt: promptBlend.next.positive, negativePrompt: promptBlend.next.negative, weight: promptBlend.weight },
        ...(image ? { init: image, strength, noiseMultiplier } : {}),
        control: control?.hook,
        onStep: (step, steps) => context.emit({ type: 'step', frame: job.frame, step, steps }),
        signal: context.signal,
      });
    },
    blend,
  };
}
