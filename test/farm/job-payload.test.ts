import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyframeError, UsageError } from '../../src/errors.js';
import { buildJobPayload, jobAnimation, readJobPayload } from '../../src/farm/job-payload.js';
import { repoRoot } from '../helpers.js';
import { tempDir } from '../render/render-fixture.js';

/** A queued job carries its keyframe file and every file it names; edits to the originals afterwards change nothing. */
function poseProject(): { dir: string; file: string } {
  const dir = tempDir('deforum-farm-payload-');
  cpSync(path.join(repoRoot, 'schedules', 'poses'), path.join(dir, 'poses'), { recursive: true });
  cpSync(path.join(repoRoot, 'test', 'fixtures', 'flip', 'input.png'), path.join(dir, 'init.png'));
  const animation = JSON.parse(readFileSync(path.join(repoRoot, 'schedules', 'pose-demo.json'), 'utf8')) as Record<string, unknown>;
  delete animation.$schema;
  const file = path.join(dir, 'pose-demo.json');
  writeFileSync(file, JSON.stringify({ ...animation, initImage: 'init.png', seed: -1 }, null, 2));
  return { dir, file };
}

describe('render farm job payload', () => {
  it('records the file\'s text, a resolved seed, and copies of the files it names; edits to the originals do not reach the job', async () => {
    const { dir, file } = poseProject();
    const { payload } = await buildJobPayload(file, { outRoot: path.join(dir, 'farm') });
    const outDir = path.join(dir, 'farm', 'pose-demo');
    expect(payload.outDir).toBe(outDir);
    expect(payload.keyframes.file).toBe(file);
    expect(payload.keyframes.text).toBe(readFileSync(file, 'utf8'));
    expect(payload.seed).toBeGreaterThanOrEqual(0);
    // the bundled model and ControlNet are found in each worker's install: not recorded
    expect(payload.inputs.map((input) => [input.field.join('.'), input.kind])).toEqual([
      ['initImage', 'image'],
      ['controlnet.0.pose.0', 'pose-json'],
      ['controlnet.0.pose.8', 'pose-json'],
      ['controlnet.0.pose.16', 'pose-json'],
      ['controlnet.0.pose.23', 'pose-json'],
    ]);
    for (const input of payload.inputs) expect(path.dirname(input.path)).toBe(path.join(outDir, 'inputs'));
    const originalInit = readFileSync(path.join(dir, 'init.png'));
    const originalPose = readFileSync(path.join(dir, 'poses', 'stand.json'), 'utf8');

    writeFileSync(file, readFileSync(file, 'utf8').replace('a red figure', 'a blue figure'));
    writeFileSync(path.join(dir, 'init.png'), 'not the image that was queued');
    rmSync(path.join(dir, 'poses'), { recursive: true });

    const animation = await jobAnimation(readJobPayload(JSON.parse(JSON.stringify(payload))));
    expect(animation.seed).toBe(payload.seed);
    expect(animation.prompts).toMatchObject({ '0': 'a red figure on a white background' });
    expect(readFileSync(animation.initImage!).equals(originalInit)).toBe(true);
    const pose = animation.controlnet[0].pose as Record<string, string>;
    expect(readFileSync(pose['0'], 'utf8')).toBe(originalPose);
    expect(animation.model).toBe('tiny-sd');
  });

  it('a copy that changed or went missing since it was queued is bad input naming the field', async () => {
    const { dir, file } = poseProject();
    const { payload } = await buildJobPayload(file, { outRoot: path.join(dir, 'farm') });
    const init = payload.inputs[0].path;
    writeFileSync(init, 'damaged');
    await expect(jobAnimation(payload)).rejects.toThrow(new UsageError(`${file}: initImage: the copy queued with the job, ${init}, is changed; queue the file again`));
    rmSync(init);
    await expect(jobAnimation(payload)).rejects.toThrow(/: initImage: the copy queued with the job, .* is missing; queue the file again$/);
  });

  it('refuses a file naming a missing input, or that does not validate, as deforum render does (exit 2)', async () => {
    const { dir, file } = poseProject();
    rmSync(path.join(dir, 'init.png'));
    await expect(buildJobPayload(file, { outRoot: dir })).rejects.toThrow(new UsageError(`${file}: initImage: ${path.join(dir, 'init.png')}: no such file`));
    writeFileSync(file, '{"frames": -3}');
    await expect(buildJobPayload(file, { outRoot: dir })).rejects.toBeInstanceOf(KeyframeError);
  });

  it('names what is wrong with job data that deforum queue add did not write', () => {
    expect(() => readJobPayload({ version: 1, keyframes: { file: 'x.json' } })).toThrow(/^job data is not a deforum render job: keyframes\.text: /);
  });
});
