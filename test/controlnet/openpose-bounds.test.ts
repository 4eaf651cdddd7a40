import { describe, expect, it } from 'vitest';
import { parseOpenPoseJson } from '../../src/controlnet/openpose-json.js';

const person = Array.from({ length: 18 }, () => [10, 10, 1]).flat();

describe('OpenPose JSON bounds', () => {
  it('a canvas larger than 8192 px a side is refused before anything is drawn at that size', () => {
    expect(() => parseOpenPoseJson(JSON.stringify({ people: [{ pose_keypoints_2d: person }], canvas_width: 1_000_000_000, canvas_height: 64 }), 'p.json')).toThrow(
      'p.json: canvas_width: expected a number at most 8192, got 1000000000 (OpenPose format: {"people": [{"pose_keypoints_2d": [x, y, c, …]}], "canvas_width", "canvas_height"})',
    );
    expect(() => parseOpenPoseJson(JSON.stringify({ width: 64, height: 100_000, keypoints: Array(18).fill([10, 10]) }), 'p.json')).toThrow(
      /^p\.json: height: expected a number at most 8192, got 100000 \(openpose-editor format/,
    );
    expect(parseOpenPoseJson(JSON.stringify({ people: [{ pose_keypoints_2d: person }], canvas_width: 8192, canvas_height: 8192 }), 'p.json').width).toBe(8192);
  });
});
