import { describe, expect, it } from 'vitest';
import type { RawImage } from '../../src/raw-image.js';
import { cadenceGroups, runGroups, type FrameWork, type LoopJob } from '../../src/render/frame-loop.js';

// One-pixel images whose value records what happened to them: diffusion of frame f gives 100·f, each warp adds 1.
const pixel = (v: number): RawImage => ({ width: 1, height: 1, channels: 3, data: Uint8Array.of(v, v, v) });
const value = (img: RawImage) => img.data[0];

function jobsFor(frames: number, cadence: number): LoopJob[] {
  return Array.from({ length: frames }, (_, frame) => ({ frame, diffused: frame % cadence === 0 }));
}

async function render(frames: number, cadence: number, lastFrame = frames - 1) {
  const jobs = jobsFor(frames, cadence);
  const inits: Array<[number, number | undefined]> = [];
  const work: FrameWork<LoopJob> = {
    warp: (img) => pixel(value(img) + 1),
    depth: async () => undefined,
    prepareInit: (img) => img,
    diffuse: async (job, init) => {
      inits.push([job.frame, init && value(init)]);
      return pixel(job.frame * 10);
    },
    blend: (a, b, t) => pixel(Math.round(value(a) * (1 - t) + value(b) * t)),
  };
  const written: Array<[number, number]> = [];
  await runGroups({
    jobs, groups: cadenceGroups(jobs), first: 0, lastFrame, cadence, state: {}, work,
    captureColorReference: false,
    emit: async (out) => void written.push([out.frame, value(out.image)]),
    shouldStop: () => false,
  });
  return { written, inits };
}

describe('frame loop', () => {
  it('with cadence 1 diffuses every frame over the warped previous frame', async () => {
    const { written, inits } = await render(4, 1);
    expect(written).toEqual([[0, 0], [1, 10], [2, 20], [3, 30]]);
    expect(inits).toEqual([[0, undefined], [1, 1], [2, 11], [3, 21]]);
  });

  it('with cadence 3 blends warped diffusions as Deforum does and writes every frame, the last group too', async () => {
    const { written, inits } = await render(8, 3);
    // Group 0: pure D0 warped per frame. Group 1 (frames 3-5): prev = D0 carried (warped 2×) warped further,
    // next = D3 warped from frame 4 on; tween 1/3, 2/3, 1. Group 2 (6-7): same with D6, tween 1/3, 2/3.
    expect(written).toEqual([
      [0, 0], [1, 1], [2, 2],
      [3, Math.round(3 * (2 / 3) + 30 / 3)], [4, Math.round(4 * (1 / 3) + 31 * (2 / 3))], [5, 32],
      [6, Math.round(33 * (2 / 3) + 60 / 3)], [7, Math.round(34 * (1 / 3) + 61 * (2 / 3))],
    ]);
    // The init of diffusion 3 is D0 carried to frame 2 and warped by frame 3's motion.
    expect(inits).toEqual([[0, undefined], [3, 3], [6, 33]]);
  });

  it('stops after the last requested frame', async () => {
    const { written } = await render(8, 3, 4);
    expect(written.map(([f]) => f)).toEqual([0, 1, 2, 3, 4]);
  });

  it('in 3D predicts depth where Deforum\'s loop does and warps each image with it', async () => {
    // Each depth map holds the value of the image it was predicted from; a warp records (image, depth) and adds 1.
    const jobs = jobsFor(8, 3);
    const warps: Array<[frame: number, image: number, depth: number | undefined]> = [];
    const saved: Array<[number, number | undefined]> = [];
    const work: FrameWork<LoopJob> = {
      warp: (img, job, depth) => (warps.push([job.frame, value(img), depth?.[0]]), pixel(value(img) + 1)),
      depth: async (img) => Float32Array.of(value(img)),
      prepareInit: (img) => img,
      diffuse: async (job) => pixel(job.frame * 10),
      blend: (a, b, t) => pixel(Math.round(value(a) * (1 - t) + value(b) * t)),
    };
    await runGroups({
      jobs, groups: cadenceGroups(jobs), first: 0, lastFrame: 7, cadence: 3, state: {}, work, captureColorReference: false,
      emit: async (out) => void saved.push([out.frame, out.depth?.[0]]),
      shouldStop: () => false,
    });
    expect(warps).toEqual([
      // group 0: D0 moved to frames 1 and 2 with its own depth before each move
      [1, 0, 0], [2, 1, 1],
      // diffusion 3's init: D0 at frame 2 moved to frame 3 with its own depth (anim_frame_warp, depth=None)
      [3, 2, 2],
      // frame 3: the older image moved to frame 3 with the new diffusion's depth; frames 4, 5: both moved with next's depth
      [3, 2, 30], [4, 3, 30], [4, 30, 30], [5, 4, 31], [5, 31, 31],
      [6, 32, 32],
      [6, 32, 60], [7, 33, 60], [7, 60, 60],
    ]);
    // the saved depth of each frame is next's depth before that frame's move
    expect(saved).toEqual([[0, 0], [1, 0], [2, 1], [3, 30], [4, 30], [5, 31], [6, 60], [7, 60]]);
  });

  it('groups frames by diffused frame', () => {
    expect(cadenceGroups(jobsFor(7, 3))).toEqual([
      { diffused: 0, start: 0, end: 3 }, { diffused: 3, start: 3, end: 6 }, { diffused: 6, start: 6, end: 7 },
    ]);
  });
});
