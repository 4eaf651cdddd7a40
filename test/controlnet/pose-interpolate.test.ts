import { describe, expect, it } from 'vitest';
import { poseAt, type PoseKeyframe } from '../../src/controlnet/pose-interpolate.js';
import type { Person } from '../../src/controlnet/pose.js';
import { easings } from '../../src/numerics/interpolation.js';

const person = (points: Array<[number, number] | null>): Person => points.map((p) => (p ? { x: p[0], y: p[1] } : null));
const key = (frame: number, people: Person[], interpolation?: string): PoseKeyframe => ({ frame, pose: { width: 64, height: 64, people }, interpolation });

describe('poseAt', () => {
  const a = key(0, [person([[10, 20], [0, 0], null]), person([[5, 5], [5, 5], [5, 5]])]);
  const b = key(10, [person([[30, 40], null, [1, 1]])]);

  it('moves each joint linearly between keys', () => {
    expect(poseAt([a, b], 5).people[0][0]).toEqual({ x: 20, y: 30 });
    expect(poseAt([a, b], 2).people[0][0]).toEqual({ x: 14, y: 24 });
  });

  it('does not invent a joint missing in either key', () => {
    const between = poseAt([a, b], 5).people[0];
    expect(between[1]).toBeNull();
    expect(between[2]).toBeNull();
  });

  it('matches people by index; a person in only one key shows only on that key', () => {
    expect(poseAt([a, b], 0).people).toHaveLength(2);
    expect(poseAt([a, b], 5).people).toHaveLength(1);
    expect(poseAt([a, b], 10).people).toHaveLength(1);
  });

  it('holds the first key before it and the last key after it', () => {
    const late = key(4, a.pose.people as Person[]);
    expect(poseAt([late, { ...b, frame: 8 }], 1)).toBe(late.pose);
    expect(poseAt([late, { ...b, frame: 8 }], 30).people[0][0]).toEqual({ x: 30, y: 40 });
  });

  it('applies an easing by name, the arriving key winning over the leaving key and the default', () => {
    const eased = poseAt([a, { ...b, interpolation: 'easeInOutSine' }], 2, 'step').people[0][0]!;
    expect(eased.x).toBeCloseTo(10 + 20 * easings.easeInOutSine(0.2), 12);
    expect(poseAt([{ ...a, interpolation: 'step' }, b], 9).people[0][0]).toEqual({ x: 10, y: 20 });
    expect(poseAt([a, b], 9, 'step').people[0][0]).toEqual({ x: 10, y: 20 });
  });

  it('uses the neighbouring keys for cubic tangents', () => {
    const keys = [key(0, [person([[0, 0]])]), key(10, [person([[10, 0]])]), key(20, [person([[40, 0]])])];
    const x = poseAt(keys, 5, 'cubic').people[0][0]!.x;
    // Hermite at u = ½: tangent 1 (secant, no key before) at frame 0, (40 − 0)/20 = 2 at frame 10:
    // 0.5·0 + 0.125·10·1 + 0.5·10 − 0.125·10·2 = 3.75 (linear would give 5)
    expect(x).toBeCloseTo(3.75, 12);
  });

  it('finds each frame\'s keys without a scan: 200,000 keys over 400,000 frames, the same poses as the keys give', { timeout: 10_000 }, () => {
    // A scan from the first key per frame made this 4·10¹⁰ steps; the pose keys of a long render can be this many.
    const keys = Array.from({ length: 200_000 }, (_, i) => key(2 * i, [person([[i, 2 * i]])]));
    const wrong: number[] = [];
    for (let frame = 0; frame < 400_000; frame++) {
      const joint = poseAt(keys, frame).people[0][0];
      // Linear between key i (frame 2i, x = i) and key i + 1; past the last key its pose holds.
      const x = Math.min(frame, 399_998) / 2;
      if (joint?.x !== x || joint.y !== 2 * x) wrong.push(frame);
    }
    expect(wrong).toEqual([]);
  });
});
