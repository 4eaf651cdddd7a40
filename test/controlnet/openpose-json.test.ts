import { describe, expect, it } from 'vitest';
import { parseOpenPoseJson } from '../../src/controlnet/openpose-json.js';
import { PoseError } from '../../src/errors.js';

const flat = (points: Array<[number, number, number]>) => points.flat();
const eighteen = (f: (i: number) => [number, number, number]) => Array.from({ length: 18 }, (_, i) => f(i));

function errorOf(text: string): PoseError {
  try {
    parseOpenPoseJson(text, 'poses/bad.json');
  } catch (error) {
    expect(error).toBeInstanceOf(PoseError);
    return error as PoseError;
  }
  throw new Error('expected a PoseError');
}

describe('parseOpenPoseJson', () => {
  it('reads pixel keypoints and drops those with confidence below 1.0', () => {
    const points = eighteen((i) => [10 + i, 20 + i, i === 3 ? 0 : i === 5 ? 0.9 : 1]);
    const pose = parseOpenPoseJson(JSON.stringify({ people: [{ pose_keypoints_2d: flat(points) }], canvas_width: 128, canvas_height: 96 }), 'a.json');
    expect([pose.width, pose.height]).toEqual([128, 96]);
    expect(pose.people[0][0]).toEqual({ x: 10, y: 20 });
    expect(pose.people[0][3]).toBeNull();
    expect(pose.people[0][5]).toBeNull();
    expect(pose.people[0][17]).toEqual({ x: 27, y: 37 });
  });

  it('scales a normalised person by the canvas size', () => {
    const points = eighteen((i) => [i / 20, 0.5, 1]);
    const pose = parseOpenPoseJson(JSON.stringify({ people: [{ pose_keypoints_2d: flat(points) }], canvas_width: 200, canvas_height: 100 }), 'a.json');
    expect(pose.people[0][10]).toEqual({ x: 100, y: 50 });
    expect(pose.people[0][1]).toEqual({ x: 10, y: 50 });
  });

  it('reads the openpose-editor format, 18 points per person', () => {
    const keypoints = [...eighteen((i) => [i, 2 * i, 0]), ...eighteen((i) => [50 + i, 60, 0])].map(([x, y]) => [x, y]);
    const pose = parseOpenPoseJson(JSON.stringify({ width: 512, height: 512, keypoints }), 'a.json');
    expect(pose.people).toHaveLength(2);
    expect(pose.people[0][17]).toEqual({ x: 17, y: 34 });
    expect(pose.people[1][0]).toEqual({ x: 50, y: 60 });
  });

  it.each([
    ['{"people": [', /^poses\/bad\.json: not valid JSON/],
    ['{"people": [], "canvas_width": 64, "canvas_height": 64}', /^poses\/bad\.json: no people/],
    ['{"animals": [], "canvas_width": 64, "canvas_height": 64}', /^poses\/bad\.json: no people/],
    [JSON.stringify({ people: [{ pose_keypoints_2d: [1, 2, 1] }], canvas_width: 64, canvas_height: 64 }), /^poses\/bad\.json: people\[0\]\.pose_keypoints_2d has 3 numbers; expected 54/],
    [JSON.stringify({ people: [{ pose_keypoints_2d: Array(75).fill(0) }], canvas_width: 64, canvas_height: 64 }), /has 75 numbers; expected 54 .*BODY_25/],
    [JSON.stringify({ people: [{ pose_keypoints_2d: flat(eighteen(() => [10, 10, 1])) }] }), /^poses\/bad\.json: canvas_width: .*OpenPose format/],
    [JSON.stringify({ people: [{ pose_keypoints_2d: ['a'] }], canvas_width: 64, canvas_height: 64 }), /^poses\/bad\.json: people\[0\]\.pose_keypoints_2d\[0\]: /],
    [JSON.stringify({ width: 64, height: 64, keypoints: [[1, 2]] }), /^poses\/bad\.json: "keypoints" has 1 points; expected 18 per person/],
    [JSON.stringify({ people: [{ pose_keypoints_2d: flat(eighteen(() => [10, 10, 0.87])) }], canvas_width: 64, canvas_height: 64 }), /^poses\/bad\.json: no keypoint has confidence 1\.0/],
    ['[]', /^poses\/bad\.json: a list of 0 poses; expected one pose object/],
  ])('rejects %s', (text, message) => {
    const error = errorOf(text);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
  });

  it('names the person and keypoint outside the canvas', () => {
    const people = [
      { pose_keypoints_2d: flat(eighteen(() => [10, 10, 1])) },
      { pose_keypoints_2d: flat(eighteen((i) => [i === 4 ? 140 : 10, 10, 1])) },
    ];
    const error = errorOf(JSON.stringify({ people, canvas_width: 128, canvas_height: 128 }));
    expect(error.message).toBe(
      'poses/bad.json: people[1] keypoint 4 (right_wrist) at (140, 10) is outside the 128×128 canvas; expected 0 ≤ x ≤ 128, 0 ≤ y ≤ 128',
    );
  });

  it('takes a list of exactly one pose, as the ControlNet API returns', () => {
    const document = { people: [{ pose_keypoints_2d: flat(eighteen(() => [10, 12, 1])) }], canvas_width: 64, canvas_height: 64 };
    expect(parseOpenPoseJson(JSON.stringify([document]), 'a.json').people[0][0]).toEqual({ x: 10, y: 12 });
  });

  it('keeps a person without body keypoints as one with every joint missing', () => {
    const people = [{ pose_keypoints_2d: [] }, { pose_keypoints_2d: flat(eighteen(() => [10, 12, 1])) }];
    const pose = parseOpenPoseJson(JSON.stringify({ people, canvas_width: 64, canvas_height: 64 }), 'a.json');
    expect(pose.people[0].every((k) => k === null)).toBe(true);
    expect(pose.people[1][0]).toEqual({ x: 10, y: 12 });
  });

  it('ignores the position of a missing keypoint', () => {
    const points = eighteen((i) => (i === 2 ? [999, -5, 0] : [10, 10, 1]));
    const pose = parseOpenPoseJson(JSON.stringify({ people: [{ pose_keypoints_2d: flat(points) }], canvas_width: 64, canvas_height: 64 }), 'a.json');
    expect(pose.people[0][2]).toBeNull();
  });
});
