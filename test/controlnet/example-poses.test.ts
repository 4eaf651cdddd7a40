import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOpenPoseJson } from '../../src/controlnet/openpose-json.js';
import { repoRoot } from '../helpers.js';

const dir = path.join(repoRoot, 'schedules', 'poses');

describe('schedules/poses', () => {
  it.each(readdirSync(dir).filter((name) => name.endsWith('.json')))('%s is one complete person on the tiny model\'s 128×128 canvas', async (name) => {
    const pose = await loadOpenPoseJson(path.join(dir, name));
    expect([pose.width, pose.height]).toEqual([128, 128]);
    expect(pose.people).toHaveLength(1);
    expect(pose.people[0].every((k) => k !== null)).toBe(true);
  });
});
