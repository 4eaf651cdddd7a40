/**
 * A unit's per-frame numbers for the plan: Deforum's three ControlNet schedules (docs/deforum.md §e), built by the keyframes
 * module like every other schedule (strings, numbers or structured keyframes; `s` is the run's seed, not Deforum's −1).
 */
import type { UnitFrameValues } from '../controlnet/modes.js';
import type { ControlNetUnit } from '../controlnet/unit-schema.js';
import { buildSchedule, type Schedule } from '../keyframes/schedule.js';
import type { ScheduleContext } from '../keyframes/schedule-keys.js';

export interface UnitSchedules {
  weight: Schedule;
  guidanceStart: Schedule;
  guidanceEnd: Schedule;
}


/** `index` is the unit's position in `controlnet`, for error messages such as `controlnet[1].weight: …`. */
export function unitSchedules(unit: ControlNetUnit, index: number, context: Omit<ScheduleContext, 'name'>): UnitSchedules {
  const build = (field: keyof UnitSchedules) => buildSchedule(unit[field], { ...context, name: `controlnet[${index}].${field}` });
  return { weight: build('weight'), guidanceStart: build('guidanceStart'), guidanceEnd: build('guidanceEnd') };
}

export function unitFrameValues(schedules: UnitSchedules, frame: number): UnitFrameValues {
  return { weight: schedules.weight(frame), guidanceStart: schedules.guidanceStart(frame), guidanceEnd: schedules.guidanceEnd(frame) };
}
