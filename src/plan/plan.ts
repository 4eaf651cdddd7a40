import type { PoseInput } from '../controlnet/pose-inputs.js';
import type { UnitFrame } from '../controlnet/unit-frame.js';
import { KeyframeError } from '../errors.js';
import { extraNetworksOf, type ExtraNetwork } from '../sampler/prompt/extra-networks.js';
import { limitProblem } from '../keyframes/frame-value-checks.js';
import { plainIssueText } from '../issue-text.js';
import { parseqSeries, type ParseqManifest, type ParseqSeries } from '../keyframes/parseq.js';
import { buildPromptSchedule } from '../keyframes/prompts.js';
import { resolveSamplerName, unknownSamplerMessage, type ResolvedSampler } from '../sampler/sampler-names.js';
import { buildSchedule, type Schedule } from '../keyframes/schedule.js';
import type { ScheduleContext } from '../keyframes/schedule-keys.js';
import { AnimationSchema, frameValueLimits, isNumericScheduleName, numericScheduleNames, scheduleIsUsed, type Animation, type AnimationInput, type NumericScheduleName, type Schedules } from '../keyframes/schema.js';
import { seedFromSchedule, seedOfDiffusedFrame } from '../keyframes/seeds.js';
import { buildStringSchedule } from '../keyframes/string-schedule.js';
import { formatPath } from '../keyframes/validate.js';
import { unitFrames, type UnitContext } from './controlnet-units.js';
import type { FrameJob } from './frame-job.js';

export interface PlanOptions {
  /** The run's resolved seed; required when the file's seed is −1 (see `resolveRunSeed`). */
  seed?: number;
  /** Receives non-fatal findings (keys outside the animation). */
  onWarning?: (message: string) => void;
  /** Per ControlNet unit (by index), its pose files read by `loadUnitPoseInputs`; needed when a unit is enabled. */
  poses?: ReadonlyArray<PoseInput | undefined>;
  /** The Parseq manifest read by `loadParseqManifest`; needed when the file has `parseq`. */
  parseq?: ParseqManifest;
}

/** Every schedule of an animation, built once. */
export interface AnimationSchedules {
  numeric: Record<NumericScheduleName, Schedule>;
  steps: Schedule;
  /** Only with seedBehavior "schedule": the seed schedule is not read otherwise (so not checked either). */
  seed?: Schedule;
  /** Only when the file has one: absent means A1111's default multiplier 1 on every frame. */
  noiseMultiplier?: Schedule;
  /** Only with enableSubseedScheduling (Deforum's switch): A1111's variation seed and strength per frame. */
  subseed?: { seed: Schedule; strength: Schedule };
  sampler: (frame: number) => ResolvedSampler;
  /** With a Parseq manifest: its series, which replace the file's schedules, prompts and seeds where it manages them. */
  parseq?: ParseqSeries;
}

const clamp01 = (x: number) => Math.min(Math.max(x, 0), 1);

/** The run's seed: the option, else the file's; −1 left unresolved is an error (the plan must be reproducible). */
export function planSeed(animation: Animation, options: PlanOptions): number {
  const seed = options.seed ?? animation.seed;
  if (seed < 0) throw new KeyframeError('seed is -1 (random): pick the run seed first (resolveRunSeed) and pass it to the plan');
  return seed;
}

/** Fills defaults (idempotent on a parsed Animation); a shape error names the field, worded as `validate` words it. */
function parseAnimation(input: Animation | AnimationInput): Animation {
  const parsed = AnimationSchema.safeParse(input, { error: plainIssueText });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new KeyframeError(`${formatPath(issue.path as Array<string | number>)}: ${issue.message}`);
}

/** The schema's per-frame limits (steps, the odd anti-blur kernel, …) on the schedules the mode reads, as `validate` checks them. */
function checkFrameValueLimits(animation: Animation, schedules: Partial<Record<keyof Schedules, Schedule>>): void {
  for (const name of Object.keys(frameValueLimits) as Array<keyof Schedules>) {
    if (isNumericScheduleName(name) && !scheduleIsUsed(name, animation.animationMode, animation.enablePerspectiveFlip)) continue;
    const limit = frameValueLimits[name];
    const schedule = schedules[name];
    const problem = limit && schedule && limitProblem(schedule.values, limit);
    if (problem) throw new KeyframeError(`schedules.${name}: ${problem}`);
  }
}

/** The manifest's series (docs/deforum.md "Parseq manifests"), its warnings given once per plan. */
function parseqOf(animation: Animation, options: PlanOptions): ParseqSeries | undefined {
  if (!animation.parseq) return undefined;
  if (!options.parseq) throw new Error('planAnimation: the file names a Parseq manifest but it was not loaded (loadParseqManifest)');
  const series = parseqSeries(options.parseq, animation);
  for (const warning of series.warnings) options.onWarning?.(warning);
  return series;
}

export function buildAnimationSchedules(input: Animation | AnimationInput, options: PlanOptions = {}): AnimationSchedules {
  const animation = parseAnimation(input);
  const runSeed = planSeed(animation, options);
  const parseq = parseqOf(animation, options);
  const managed = parseq?.schedules ?? {};
  const context = (name: string): ScheduleContext => ({ frames: animation.frames, seed: runSeed, name: `schedules.${name}`, onWarning: options.onWarning });
  const numeric = Object.fromEntries(numericScheduleNames.map((name) => [name, managed[name] ?? buildSchedule(animation.schedules[name], context(name))])) as Record<NumericScheduleName, Schedule>;
  const steps = buildSchedule(animation.schedules.steps ?? animation.steps, context('steps'), { integer: true });
  // A seed managed by Parseq is read on every diffused frame whatever the seed behaviour (render.py).
  const seed = parseq?.seeds?.seed ?? (animation.seedBehavior === 'schedule' ? buildSchedule(animation.schedules.seed, context('seed'), { integer: true }) : undefined);
  const fileSubseed = () => ({ seed: buildSchedule(animation.schedules.subseed, context('subseed'), { integer: true }), strength: buildSchedule(animation.schedules.subseedStrength, context('subseedStrength')) });
  // With a Parseq seed Deforum turns subseed scheduling on, reading Parseq's subseed series where it has them (render.py).
  const subseed = parseq?.seeds
    ? { seed: parseq.seeds.subseed ?? fileSubseed().seed, strength: parseq.seeds.subseedStrength ?? fileSubseed().strength }
    : animation.enableSubseedScheduling
      ? fileSubseed()
      : undefined;
  checkFrameValueLimits(animation, { ...numeric, steps, subseedStrength: subseed?.strength });
  const noiseMultiplier = managed.noiseMultiplier ?? (animation.schedules.noiseMultiplier === undefined ? undefined : buildSchedule(animation.schedules.noiseMultiplier, context('noiseMultiplier')));
  const fixedSampler = resolveSamplerName(animation.sampler);
  if (!fixedSampler) throw new KeyframeError(`sampler: ${unknownSamplerMessage(animation.sampler)}`);
  if (!animation.schedules.sampler) return { numeric, steps, seed, noiseMultiplier, subseed, sampler: () => fixedSampler, parseq };
  const names = buildStringSchedule(animation.schedules.sampler, context('sampler'), (value, fail) => {
    if (!resolveSamplerName(value)) fail(unknownSamplerMessage(value));
  });
  return { numeric, steps, seed, noiseMultiplier, subseed, sampler: (f) => resolveSamplerName(names(f)) as ResolvedSampler, parseq };
}

/**
 * The frame's A1111 variation seeds, only when the file uses them (so plans and job hashes without them are unchanged):
 * the subseed (truncated, −1 a derived random seed, as the seed schedule) and strength per frame, and the seed resize
 * when both sides are set (docs/sd-pipeline.md "Variation seeds").
 */
function variationOf(animation: Animation, schedules: AnimationSchedules, start: number, frame: number): Partial<FrameJob['diffusion']> {
  const resize = animation.seedResizeFrom;
  return {
    ...(schedules.subseed ? { subseed: seedFromSchedule(schedules.subseed.seed(frame), start, frame, 'subseed'), subseedStrength: schedules.subseed.strength(frame) } : {}),
    ...(resize && resize.width > 0 && resize.height > 0 ? { seedResizeFrom: resize } : {}),
  };
}

/**
 * Hands back the previous frame's object for a group whose values did not change, so a long plan of mostly constant
 * schedules holds one copy of each (jobs are never mutated). Shallow: nested objects are shared first.
 */
function unchanged() {
  const last = new Map<string, Record<string, unknown>>();
  return <T extends object>(group: string, value: T): T => {
    const previous = last.get(group);
    const entries = Object.entries(value);
    if (previous && entries.length === Object.keys(previous).length && entries.every(([key, v]) => previous[key] === v)) return previous as T;
    last.set(group, value as Record<string, unknown>);
    return value;
  };
}

/** A positive prompt's extra network tags (A1111 strips them before CLIP, docs/sd-pipeline.md §1.5), once per prompt text. */
function extraNetworksByPrompt(): (positive: string) => ExtraNetwork[] {
  const known = new Map<string, ExtraNetwork[]>();
  return (positive) => {
    let networks = known.get(positive);
    if (!networks) known.set(positive, (networks = extraNetworksOf(positive)));
    return networks;
  };
}

/** Frame 0's source: txt2img, or the init image; later frames start from the previous frame (docs/deforum.md §d). */
const sourceOf = (animation: Animation, frame: number): FrameJob['source'] => (frame > 0 ? 'previous-frame' : animation.initImage ? 'init-image' : 'txt2img');

/** The frame's perspective flip when it is on (Deforum's enable_perspective_flip, in 2D and 3D). */
function flipOf(animation: Animation, n: AnimationSchedules['numeric'], frame: number): FrameJob['motion']['flip'] {
  if (!animation.enablePerspectiveFlip) return undefined;
  return { theta: n.perspectiveFlipTheta(frame), phi: n.perspectiveFlipPhi(frame), gamma: n.perspectiveFlipGamma(frame), fv: n.perspectiveFlipFv(frame) };
}

/** The frame's camera move: the 2D warp's, or in 3D the camera's, with the depth settings (docs/deforum-3d.md). */
function motionOf(animation: Animation, n: AnimationSchedules['numeric'], frame: number): FrameJob['motion'] {
  const flip = flipOf(animation, n, frame);
  const shared = { translationX: n.translationX(frame), translationY: n.translationY(frame), border: animation.borderMode, ...(flip ? { flip } : {}) };
  if (animation.animationMode === '2D') {
    return { mode: '2D', ...shared, zoom: n.zoom(frame), angle: n.angle(frame), centerX: n.transformCenterX(frame), centerY: n.transformCenterY(frame) };
  }
  return {
    mode: '3D',
    ...shared,
    translationZ: n.translationZ(frame),
    rotationX: n.rotation3dX(frame),
    rotationY: n.rotation3dY(frame),
    rotationZ: n.rotation3dZ(frame),
    fov: n.fov(frame),
    near: n.near(frame),
    far: n.far(frame),
    aspectRatio: n.aspectRatio(frame),
    aspectRatioUseOldFormula: animation.aspectRatioUseOldFormula,
    depthAlgorithm: animation.depth.algorithm,
    depthWarping: animation.depth.warping,
    padding: animation.paddingMode,
    sampling: animation.samplingMode,
  };
}

function prepareOf(animation: Animation, n: AnimationSchedules['numeric'], frame: number): FrameJob['prepare'] {
  return {
    // A colour-sample image is matched in LAB, as Deforum's "Image" mode does (docs/deforum.md §d).
    colorCoherence: animation.colorCoherence === 'image' ? 'lab' : animation.colorCoherence,
    contrast: n.contrast(frame),
    // Deforum passes int(kernel) to cv2.GaussianBlur (odd sizes only: checked with the limits).
    antiBlur: { amount: n.antiBlurAmount(frame), kernel: Math.trunc(n.antiBlurKernel(frame)), sigma: n.antiBlurSigma(frame), threshold: n.antiBlurThreshold(frame) },
    noise: {
      amount: n.noise(frame),
      type: animation.noiseType,
      perlinW: animation.perlinW,
      perlinH: animation.perlinH,
      perlinOctaves: animation.perlinOctaves,
      perlinPersistence: animation.perlinPersistence,
    },
  };
}

/** The enabled units' per-frame values; `poses[i]` holds unit i's pose files (`loadUnitPoseInputs`). */
function unitsOf(animation: Animation, poses: PlanOptions['poses'], context: UnitContext, parseq: ParseqSeries | undefined): Array<(frame: number) => UnitFrame> {
  return animation.controlnet.flatMap((unit, index) => {
    if (!unit.enabled) return [];
    const input = poses?.[index];
    if (!input) throw new Error(`planAnimation: controlnet[${index}] is enabled but its pose files were not loaded (loadUnitPoseInputs)`);
    return [unitFrames(unit, input, index, context, parseq?.controlnet[index])];
  });
}

/**
 * The FrameJobs of a validated animation, frame by frame, computed as they are taken (a plan of a million frames is
 * streamed by `deforum plan` without holding it). Pure and deterministic: the same animation, seed and pose files
 * give the same jobs. Per-frame rules: docs/deforum.md §c (seeds, counted over diffused frames) and §d (strength,
 * frame 0).
 */
export function* planFrames(input: Animation | AnimationInput, options: PlanOptions = {}): Generator<FrameJob> {
  const animation = parseAnimation(input);
  const start = planSeed(animation, options);
  const schedules = buildAnimationSchedules(animation, options);
  const context = { frames: animation.frames, seed: start, onWarning: options.onWarning };
  const prompts = buildPromptSchedule(schedules.parseq?.prompts ?? animation, context);
  const units = unitsOf(animation, options.poses, { ...context, width: animation.width, height: animation.height }, schedules.parseq);
  const cadence = animation.diffusionCadence;
  const n = schedules.numeric;
  const same = unchanged();
  const networksOf = extraNetworksByPrompt();
  let seed = start;
  for (let frame = 0; frame < animation.frames; frame++) {
    const diffused = frame % cadence === 0;
    if (diffused) seed = schedules.seed ? seedFromSchedule(schedules.seed(frame), start, frame) : seedOfDiffusedFrame(animation, start, frame / cadence);
    const source = sourceOf(animation, frame);
    // Frame 0 never uses the strength schedule: txt2img (strength_0_no_init) or the init image's strength (§d).
    const strength = source === 'previous-frame' ? clamp01(n.strength(frame)) : source === 'init-image' ? clamp01(animation.initStrength) : 0;
    const { prompt, blend } = prompts(frame);
    const motion = motionOf(animation, n, frame);
    const prepare = prepareOf(animation, n, frame);
    const { sampler, scheduler } = schedules.sampler(frame);
    const extraNetworks = [...networksOf(prompt.positive), ...(blend ? networksOf(blend.next.positive) : [])];
    const diffusion: FrameJob['diffusion'] = {
      prompt: same('prompt', prompt),
      ...(blend ? { promptBlend: blend } : {}),
      cfg: n.cfg(frame),
      strength,
      steps: schedules.steps(frame),
      sampler,
      scheduler,
      seed,
      ...variationOf(animation, schedules, start, frame),
      // A1111 applies initial_noise_multiplier in img2img only (docs/sd-pipeline.md §4.2)
      ...(schedules.noiseMultiplier && source !== 'txt2img' ? { noiseMultiplier: schedules.noiseMultiplier(frame) } : {}),
      ...(extraNetworks.length > 0 ? { extraNetworks } : {}),
    };
    yield {
      frame,
      diffused,
      source,
      motion: same('motion', motion.flip ? { ...motion, flip: same('flip', motion.flip) } : motion),
      prepare: same('prepare', { ...prepare, antiBlur: same('antiBlur', prepare.antiBlur), noise: same('noise', prepare.noise) }),
      diffusion,
      ...(units.length > 0 ? { controlnet: units.map((unit) => unit(frame)) } : {}),
    };
  }
}

/** Every FrameJob of the animation, in frame order (see `planFrames`). */
export function planAnimation(input: Animation | AnimationInput, options: PlanOptions = {}): FrameJob[] {
  return Array.from(planFrames(input, options));
}
