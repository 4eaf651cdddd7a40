import type { RawImage } from '../raw-image.js';

/** What the loop needs to know of a frame's job; the rest is passed through to the work functions. */
export interface LoopJob {
  frame: number;
  /** Diffused (every `diffusionCadence`-th frame) or an in-between frame. */
  diffused: boolean;
}

/** The image operations of one render; the loop only decides what runs on which image, and in which order. */
export interface FrameWork<J extends LoopJob> {
  /** The frame's camera motion applied to an image; `depth` is the image's depth map (3D). */
  warp(image: RawImage, job: J, depth: Float32Array | undefined): RawImage;
  /**
   * The depth map of `image` when it is needed — to warp it by `job`'s motion (3D with depth warping) or to save as the
   * frame's depth map (depth maps on) — else undefined, without predicting.
   */
  depth(image: RawImage, job: J, use: { warp: boolean; save: boolean }): Promise<Float32Array | undefined>;
  /** Colour coherence, contrast, anti-blur and noise on the warped previous image before it is diffused. */
  prepareInit(warped: RawImage, job: J, colorReference: RawImage | undefined): RawImage;
  /** img2img over `init` (txt2img, or img2img from the file's init image, when it is undefined). */
  diffuse(job: J, init: RawImage | undefined): Promise<RawImage>;
  blend(previous: RawImage, next: RawImage, tween: number): RawImage;
}

/**
 * A cadence group: one diffused frame and the frames up to the next diffused one. Group g's frames are
 * blends of diffusion g−1 and diffusion g, both warped to each frame, so a group is written as soon as
 * its diffusion is done (Deforum writes it one diffusion later, and never writes the last group).
 */
export interface CadenceGroup {
  diffused: number;
  /** First frame of the group (= `diffused`). */
  start: number;
  /** One past the last frame of the group. */
  end: number;
}

export function cadenceGroups(jobs: readonly LoopJob[]): CadenceGroup[] {
  const groups: CadenceGroup[] = [];
  jobs.forEach((job, i) => {
    if (job.diffused) {
      if (groups.length > 0) groups[groups.length - 1].end = i;
      groups.push({ diffused: i, start: i, end: jobs.length });
    } else if (groups.length === 0) {
      throw new Error(`frame ${job.frame}: frame 0 must be diffused`);
    }
  });
  return groups;
}

/** State carried from one group to the next; both images are frames on disk, so resume restores them exactly. */
export interface LoopState {
  /**
   * The previous diffusion warped to the last frame of its group: that frame's image (its tween weight is 1).
   * Undefined before the first group.
   */
  carried?: RawImage;
  /** The colour-coherence reference (frame 0's output unless the file names a reference image). */
  colorReference?: RawImage;
}

export interface FrameOutput {
  frame: number;
  image: RawImage;
  /** Seconds spent in diffusion for this frame (0 for in-between frames). */
  samplerSeconds: number;
  /** The depth map the frame was warped with (docs/deforum-3d.md "Saved depth maps"), when one was predicted. */
  depth?: Float32Array;
}

/** The image carried into a group, the depth it was moved with for the init, and the result of that move. */
interface CarriedWarp {
  image: RawImage;
  depth: Float32Array | undefined;
  warped: RawImage;
}

interface LoopOptions<J extends LoopJob> {
  jobs: readonly J[];
  groups: readonly CadenceGroup[];
  first: number;
  /** Frames after this one are not rendered (`--frames A-B`). */
  lastFrame: number;
  cadence: number;
  state: LoopState;
  work: FrameWork<J>;
  /** Colour coherence against frame 0 when no reference image was given. */
  captureColorReference: boolean;
  emit: (output: FrameOutput) => Promise<void>;
  shouldStop: () => boolean;
}

/**
 * The group's frames, Deforum's tween loop (docs/deforum-3d.md "Cadence in 3D mode"): on frame j the depth of `next`
 * before this frame's warp moves the carried image (`previous`, still at the frame before the group on the first
 * frame) and, after the first frame, the diffusion (`next`); the frame is `prev·(1 − tween) + next·tween`,
 * `tween = (j − start + 1)/cadence`. Returns `next` at the group's last frame, the carry of the next group.
 */
async function writeGroup<J extends LoopJob>(options: LoopOptions<J>, group: CadenceGroup, carried: CarriedWarp | undefined, diffusion: RawImage, samplerSeconds: number): Promise<RawImage> {
  const { jobs, work, cadence } = options;
  let previous = carried?.image;
  let next = diffusion;
  const end = Math.min(group.end, options.lastFrame + 1);
  for (let j = group.start; j < end; j++) {
    const tween = (j - group.start + 1) / cadence;
    const warpsPrevious = previous !== undefined && tween < 1;
    const depth = await work.depth(next, jobs[j], { warp: warpsPrevious || j > group.start, save: true });
    // On the first frame the carried image moves as for the init, so that warp is reused when the depth is the same (none).
    const reused = j === group.start && carried && depth === carried.depth ? carried.warped : undefined;
    if (previous !== undefined) previous = warpsPrevious || j > group.start ? (reused ?? work.warp(previous, jobs[j], depth)) : undefined;
    if (j > group.start) next = work.warp(next, jobs[j], depth);
    const image = previous !== undefined && tween < 1 ? work.blend(previous, next, tween) : next;
    await options.emit({ frame: j, image, samplerSeconds: j === group.start ? samplerSeconds : 0, ...(depth ? { depth } : {}) });
  }
  return next;
}

/**
 * Renders the groups from `groups[first]` on: per group, warp the carried image to the diffused frame (in 3D with
 * the depth of the carried image itself, as Deforum's `anim_frame_warp` predicts it), prepare it and diffuse it, then
 * write the group's frames as Deforum's cadence does (`writeGroup`; docs/deforum.md §d). With cadence 1 every group is
 * one frame and this is plain frame-to-frame img2img.
 */
export async function runGroups<J extends LoopJob>(options: LoopOptions<J>): Promise<void> {
  const { jobs, groups, work } = options;
  let { carried, colorReference } = options.state;
  for (let g = options.first; g < groups.length; g++) {
    const group = groups[g];
    if (group.start > options.lastFrame || options.shouldStop()) return;
    const job = jobs[group.diffused];
    const carriedDepth = carried === undefined ? undefined : await work.depth(carried, job, { warp: true, save: false });
    const warpedCarried = carried === undefined ? undefined : work.warp(carried, job, carriedDepth);
    const init = warpedCarried === undefined ? undefined : work.prepareInit(warpedCarried, job, colorReference);
    const started = performance.now();
    const diffusion = await work.diffuse(job, init);
    const samplerSeconds = (performance.now() - started) / 1000;
    if (options.captureColorReference && colorReference === undefined) colorReference = diffusion;
    carried = await writeGroup(options, group, carried && { image: carried, depth: carriedDepth, warped: warpedCarried! }, diffusion, samplerSeconds);
  }
}
