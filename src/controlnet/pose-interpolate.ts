/**
 * Poses between pose keyframes. People are matched by their index in the files (person 0 with person 0, …), and each
 * joint moves on its own from one key to the next with the keyframes module's interpolations (linear by default,
 * step, cubic, the easings). Nothing is invented: a joint missing in either key is missing in between, and a person
 * present in only one key appears only on that key's frame. Before the first key and after the last, the nearest key's
 * pose holds, like a schedule's values.
 */
import { interpolate, type Interpolation } from '../numerics/interpolation.js';
import type { Keypoint, Person, Pose } from './pose.js';

export interface PoseKeyframe {
  frame: number;
  /** Already fitted to the render size (fitPose), so all keys share one coordinate frame. */
  pose: Pose;
  /** How the joints move into and out of this key, as on a schedule keyframe; undefined = the unit's default. */
  interpolation?: Interpolation;
}

interface Track {
  frame: number;
  joint: Keypoint;
}

function jointAt(frame: number, kind: Interpolation, keys: readonly PoseKeyframe[], i: number, person: number, joint: number): Keypoint | null {
  const trackAt = (j: number): Track | undefined => {
    const found = keys[j]?.pose.people[person]?.[joint];
    return found ? { frame: keys[j].frame, joint: found } : undefined;
  };
  const a = trackAt(i);
  const b = trackAt(i + 1);
  if (!a || !b) return null;
  const before = trackAt(i - 1);
  const after = trackAt(i + 2);
  const axis = (pick: (k: Keypoint) => number) => {
    const point = (t: Track | undefined) => t && { x: t.frame, y: pick(t.joint) };
    return interpolate(kind, frame, { x: a.frame, y: pick(a.joint) }, { x: b.frame, y: pick(b.joint) }, point(before), point(after));
  };
  return { x: axis((k) => k.x), y: axis((k) => k.y) };
}

/** The index of the first key at or after `frame` (keys.length if none): a binary search, as it runs once per frame. */
function firstKeyAtOrAfter(keys: readonly PoseKeyframe[], frame: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid].frame < frame) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The pose at `frame` from keyframes sorted by frame (at least one). A gap uses the interpolation of the key it arrives
 * at, else of the key it leaves, else `defaultInterpolation` — the rule the keyframes module applies to schedules.
 */
export function poseAt(keys: readonly PoseKeyframe[], frame: number, defaultInterpolation: Interpolation = 'linear'): Pose {
  const next = firstKeyAtOrAfter(keys, frame);
  if (next === keys.length) return keys[keys.length - 1].pose;
  if (next === 0 || keys[next].frame === frame) return keys[next].pose;
  const i = next - 1;
  const kind = keys[next].interpolation ?? keys[i].interpolation ?? defaultInterpolation;
  const { width, height } = keys[i].pose;
  const count = Math.min(keys[i].pose.people.length, keys[next].pose.people.length);
  const people: Person[] = Array.from({ length: count }, (_, person) =>
    keys[i].pose.people[person].map((_, joint) => jointAt(frame, kind, keys, i, person, joint)),
  );
  return { width, height, people };
}
