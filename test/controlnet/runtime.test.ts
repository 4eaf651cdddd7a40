import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlNetRuntime } from '../../src/controlnet/runtime.js';
import { loadUnitPoseInputs } from '../../src/controlnet/pose-inputs.js';
import { ControlNetUnitSchema } from '../../src/keyframes/controlnet-unit.js';
import { unitFrames } from '../../src/plan/controlnet-units.js';
import { drawPose } from '../../src/controlnet/skeleton.js';
import { KeyframeError, ModelError } from '../../src/errors.js';
import { repoRoot } from '../helpers.js';

const schedules = path.join(repoRoot, 'schedules');
const randomControlNet = path.join(repoRoot, 'test', 'fixtures', 'openpose', 'controlnet-random');
const options = { baseDir: schedules, width: 64, height: 64, frames: 10, device: 'cpu' as const, modelDir: () => randomControlNet };

describe('unit schema', () => {
  it('fills Deforum\'s defaults and accepts A1111 display names', () => {
    const unit = ControlNetUnitSchema.parse({ pose: { 0: 'poses/stand.json' }, controlMode: 'My prompt is more important', resizeMode: 'Outer Fit (Shrink to Fit)' });
    expect(unit).toMatchObject({ enabled: true, model: 'tiny-sd-controlnet-openpose', weight: '0: (1)', guidanceStart: '0: (0.0)', guidanceEnd: '0: (1.0)', controlMode: 'prompt', resizeMode: 'outer-fit', interpolation: 'linear' });
  });
  it('rejects an unknown control mode with the accepted names', () => {
    const result = ControlNetUnitSchema.safeParse({ pose: 'poses/stand.json', controlMode: 'strong' });
    expect(result.error?.issues[0].message).toMatch(/^expected a control mode: "balanced", "prompt", "controlnet", "Balanced", "My prompt is more important", "ControlNet is more important"$/);
  });
  it('rejects an empty pose object', () => {
    expect(ControlNetUnitSchema.safeParse({ pose: {} }).success).toBe(false);
  });
});

describe('unitFrames', () => {
  const input = { kind: 'image', image: { file: 'pose.png', sha256: '0'.repeat(64) } } as const;
  const context = { frames: 10, seed: 1, width: 64, height: 64 };
  it('builds weight and guidance schedules like any Deforum schedule', () => {
    const unit = ControlNetUnitSchema.parse({ pose: { image: 'pose.png' }, weight: '0:(1), 9:(0)', guidanceEnd: 0.5 });
    expect(unitFrames(unit, input, 0, context)(3)).toEqual({ weight: 1 - 3 / 9, guidanceStart: 0, guidanceEnd: 0.5, pose: { image: 'pose.png', sha256: '0'.repeat(64) } });
  });
  it('names the unit and field of a bad schedule', () => {
    const unit = ControlNetUnitSchema.parse({ pose: { image: 'pose.png' }, weight: '0:(1' });
    expect(() => unitFrames(unit, input, 1, context)).toThrow(KeyframeError);
    expect(() => unitFrames(unit, input, 1, context)).toThrow(/controlnet\[1\]\.weight/);
  });
});

describe('ControlNetRuntime', () => {
  it('opens the enabled units and gives pose maps and a hook per frame', async () => {
    const units = [
      ControlNetUnitSchema.parse({ pose: { 0: 'poses/stand.json', 9: 'poses/wave.json' } }),
      ControlNetUnitSchema.parse({ pose: 'poses/legs-apart.json', enabled: false }),
      ControlNetUnitSchema.parse({ pose: 'poses/arms-up.json', resizeMode: 'just-resize' }),
    ];
    const inputs = await loadUnitPoseInputs(units, { baseDir: schedules, frames: 10 });
    const context = { frames: 10, seed: 5, width: 64, height: 64 };
    const planned = [unitFrames(units[0], inputs[0]!, 0, context)(9), unitFrames(units[2], inputs[2]!, 2, context)(9)];
    const runtime = await ControlNetRuntime.open(units, options);
    try {
      const on = await runtime.frame([planned[0], { ...planned[1], weight: 0 }]);
      expect(on.hook).toBeDefined();
      expect(on.poseMaps.map((image) => [image.width, image.height])).toEqual([[64, 64], [64, 64]]);
      const pose = planned[0].pose;
      if (!('keypoints' in pose)) throw new Error('expected keypoints');
      expect(Buffer.from(on.poseMaps[0].data).equals(Buffer.from(drawPose(pose.keypoints).data))).toBe(true);
      const off = await runtime.frame(planned.map((unit) => ({ ...unit, weight: 0 })));
      expect(off.hook).toBeUndefined();
    } finally {
      await runtime.close();
    }
  });

  it('fails before rendering on a bad pose file or model folder', async () => {
    await expect(loadUnitPoseInputs([ControlNetUnitSchema.parse({ pose: 'poses/none.json' })], { baseDir: schedules, frames: 10 })).rejects.toThrow(/poses\/none\.json: cannot read pose file/);
    const error = await ControlNetRuntime.open([ControlNetUnitSchema.parse({ pose: 'poses/stand.json' })], { ...options, modelDir: () => schedules }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toMatch(/schedules: no model\.onnx/);
  });
});
