/**
 * A ControlNet unit's per-frame values for the plan: Deforum's three schedules (docs/deforum.md §e; built by the
 * keyframes module like every other schedule, `s` being the run's seed, not Deforum's −1) and the frame's pose —
 * pose keyframes fitted to the render size and interpolated joint by joint, or the image or video frame the frame
 * uses. When a folder or video has fewer images than the animation has frames, the last image holds for the
 * remaining frames, with a warning (Deforum's one-image input likewise serves every frame, docs/deforum.md §e).
 */
import type { PoseInput } from '../controlnet/pose-inputs.js';
import { fitPose } from '../controlnet/pose-fit.js';
import { poseAt, type PoseKeyframe } from '../controlnet/pose-interpolate.js';
import type { PoseRef, UnitFrame } from '../controlnet/unit-frame.js';
import type { ControlNetUnit } from '../keyframes/controlnet-unit.js';
import { buildSchedule, type Schedule } from '../keyframes/schedule.js';
import { keyframesOfObject, resolveKeyframes, type ScheduleContext } from '../keyframes/schedule-keys.js';
import type { Interpolation } from '../numerics/interpolation.js';

export interface UnitContext extends Omit<ScheduleContext, 'name'> {
  width: number;
  height: number;
}

function keyframedPoses(input: Extract<PoseInput, { kind: 'keyframes' }>, unit: ControlNetUnit, context: ScheduleContext & UnitContext): (frame: number) => PoseRef {
  const written = keyframesOfObject(input.keys, context.name, (key) => (typeof key === 'string' ? { value: key } : { value: key.file, interpolation: key.interpolation }));
  const keys: PoseKeyframe[] = resolveKeyframes(written, context).map(({ frame, written: key }) => ({
    frame,
    pose: fitPose(input.poses.get(key.value as string)!, context.width, context.height, unit.resizeMode),
    interpolation: key.interpolation as Interpolation | undefined,
  }));
  return (frame) => ({ keypoints: poseAt(keys, frame, unit.interpolation) });
}

function sequencePoses(count: number, ref: (index: number) => PoseRef, what: string, context: UnitContext): (frame: number) => PoseRef {
  if (count < context.frames) {
    context.onWarning?.(`${what}: ${count} pose image${count === 1 ? '' : 's'} for ${context.frames} frames; the last one holds from frame ${count}`);
  }
  return (frame) => ref(Math.min(frame, count - 1));
}

function posesOf(input: PoseInput, unit: ControlNetUnit, name: string, context: UnitContext): (frame: number) => PoseRef {
  switch (input.kind) {
    case 'keyframes':
      return keyframedPoses(input, unit, { ...context, name });
    case 'images':
      return sequencePoses(input.images.length, (i) => ({ image: input.images[i].file, sha256: input.images[i].sha256 }), `${name}.images: ${input.folder}`, context);
    case 'video':
      return sequencePoses(input.frames, (frame) => ({ video: input.video.file, sha256: input.video.sha256, frame }), `${name}.video: ${input.video.file}`, context);
    case 'image':
      return () => ({ image: input.image.file, sha256: input.image.sha256 });
  }
}

type UnitScheduleName = 'weight' | 'guidanceStart' | 'guidanceEnd';

/**
 * `index` is the unit's position in `controlnet`, for messages such as `controlnet[1].weight: …`; `managed` holds the
 * schedules a Parseq manifest gives the unit (its `cn_<index + 1>_*` fields), which replace the unit's own.
 */
export function unitFrames(unit: ControlNetUnit, input: PoseInput, index: number, context: UnitContext, managed: Partial<Record<UnitScheduleName, Schedule>> = {}): (frame: number) => UnitFrame {
  const build = (field: UnitScheduleName): Schedule => managed[field] ?? buildSchedule(unit[field], { ...context, name: `controlnet[${index}].${field}` });
  const weight = build('weight');
  const guidanceStart = build('guidanceStart');
  const guidanceEnd = build('guidanceEnd');
  const pose = posesOf(input, unit, `controlnet[${index}].pose`, context);
  return (frame) => ({ weight: weight(frame), guidanceStart: guidanceStart(frame), guidanceEnd: guidanceEnd(frame), pose: pose(frame) });
}
