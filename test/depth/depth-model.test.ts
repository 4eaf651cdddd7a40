import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepthModel } from '../../src/depth/depth-model.js';
import { ModelError } from '../../src/errors.js';
import type { RawImage } from '../../src/raw-image.js';
import { repoRoot } from '../helpers.js';

/**
 * The depth model interface through tiny random-weight ONNX models with the real layouts' tensor names, dims and
 * configs (tools/fixtures/make_random_depth.py), on the CPU EP.
 */
const fixtures = path.join(repoRoot, 'test/fixtures/models/depth');
const at = (...parts: string[]) => path.join(fixtures, ...parts);
const reference = JSON.parse(readFileSync(at('reference.json'), 'utf8')) as {
  sampleEvery: number;
  depthAnything: { size: number; raw: number[]; eightBit: number[] };
  midas: { size: number; raw: number[] };
};

/** make_random_depth.py's reference_image: RGB (4x + 2y + 50c) mod 256. */
function referenceImage(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (4 * x + 2 * y + 50 * c) % 256;
  return { width, height, channels: 3, data };
}
const sampled = (map: Float32Array) => Array.from(map).filter((_, i) => i % reference.sampleEvery === 0);

const load = (model: string) => DepthModel.load(model, { device: 'cpu' });

describe('DepthModel on the Depth-Anything layout (onnx-community/depth-anything-v2-small: names, dims, config)', () => {
  let model: DepthModel;
  beforeAll(async () => {
    model = await load(at('depth-anything'));
  });
  afterAll(() => model?.release());

  it('reads the folder layout and names it', () => {
    expect(model.describe()).toMatchObject({ name: 'depth-anything', layout: 'depth-anything', device: 'cpu' });
    expect(model.id).toMatch(/^depth-anything@[0-9a-f]{10}$/);
  });

  it('sizes the input as DPTImageProcessor does: 518 on the side that changes least, multiples of 14, aspect kept', () => {
    expect(model.inputSize({ width: 1920, height: 1080 })).toEqual({ width: 924, height: 518 });
    expect(model.inputSize({ width: 512, height: 512 })).toEqual({ width: 518, height: 518 });
    expect(model.inputSize({ width: 100, height: 60 })).toEqual({ width: 518, height: 308 });
  });

  it('feeds ImageNet-normalised RGB and returns what the transformers pipeline hands the Tok fork: k/255 at the frame size', async () => {
    // a 518×518 frame goes in unresized, so the network's output is torch's exactly, up to float32 rounding
    const depth = await model.predict(referenceImage(518, 518));
    expect(depth.length).toBe(518 * 518);
    const got = sampled(depth);
    const want = reference.depthAnything.eightBit;
    expect(got.length).toBe(want.length);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThanOrEqual(1 / 255 + 1e-7);
    expect(got.filter((v, i) => v === Math.fround(want[i])).length).toBeGreaterThanOrEqual(0.97 * want.length);
    expect(depth.every((v) => Number.isInteger(Math.round(v * 255)) && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4)).toBe(true);
  });

  it('returns one value per frame pixel for a frame of another size and aspect', async () => {
    const depth = await model.predict(referenceImage(100, 60));
    expect(depth.length).toBe(6000);
    expect(Math.max(...depth)).toBe(1);
    expect(depth.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('DepthModel on the MiDaS v2.1 small layout (model-small.onnx: one unnamed 256×256 input, normalisation inside)', () => {
  let model: DepthModel;
  beforeAll(async () => {
    model = await load(at('midas-small', 'model-small.onnx'));
  });
  afterAll(() => model?.release());

  it('takes the graph\'s fixed size whatever the frame', () => {
    expect(model.describe()).toMatchObject({ name: 'model-small.onnx', layout: 'midas' });
    expect(model.inputSize({ width: 1920, height: 1080 })).toEqual({ width: 256, height: 256 });
  });

  it('feeds RGB in 0…1 and returns the raw prediction', async () => {
    const got = sampled(await model.predict(referenceImage(256, 256)));
    const want = reference.midas.raw;
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]) / Math.max(1, Math.abs(want[i]))))).toBeLessThan(1e-4);
  });

  it('resizes the 256×256 prediction back to a 96×64 frame', async () => {
    const depth = await model.predict(referenceImage(96, 64));
    expect(depth.length).toBe(96 * 64);
    expect(depth.every(Number.isFinite)).toBe(true);
  });
});

describe('a preprocessor_config.json sets the input size', () => {
  it('126×126 for a 128×128 frame (the bundled tiny-depth\'s size), 126 × 196 for 512×768', async () => {
    const model = await load(at('depth-anything-126'));
    try {
      expect(model.inputSize({ width: 128, height: 128 })).toEqual({ width: 126, height: 126 });
      expect(model.inputSize({ width: 768, height: 512 })).toEqual({ width: 196, height: 126 });
      // same graph as depth-anything/, another config: another identity
      const other = await load(at('depth-anything'));
      expect(other.describe().fingerprint).not.toBe(model.describe().fingerprint);
      await other.release();
    } finally {
      await model.release();
    }
  });
});

describe('models that cannot be used: one ModelError line naming the file and what is expected', () => {
  it.each([
    ['a missing path', 'no-such-model', /^depth model ".*no-such-model" does not exist; expected a bundled depth model \(tiny-depth\), a folder with onnx\/model\.onnx or model\.onnx, or an \.onnx file$/],
    ['a folder without a model', 'depth-broken', /^depth model folder ".*depth-broken" has no onnx\/model\.onnx or model\.onnx; expected/],
    ['a PyTorch checkpoint', 'depth-broken/checkpoint.pt', /^depth model ".*checkpoint\.pt" is a PyTorch\/safetensors checkpoint \(\.pt\), not ONNX; export it to ONNX first/],
    ['a file that is not ONNX', 'depth-broken/not-onnx.onnx', /not-onnx\.onnx: onnxruntime cannot load this ONNX file: /],
    ['a renamed output', 'depth-broken/renamed-output.onnx', /renamed-output\.onnx: expected output "predicted_depth" \(float32\/float16 \[batch, height, width\]\); found outputs "depth" \(float32 \[batch_size, height, width\]\)$/],
    ['a second input', 'depth-broken/two-inputs.onnx', /two-inputs\.onnx: takes inputs "mask" besides "pixel_values"; a depth model is fed the image alone$/],
    ['an input of the wrong rank', 'depth-broken/rank-3.onnx', /rank-3\.onnx: expected input "pixel_values" \(float \[batch, 3, height, width\], Depth-Anything\) or one float image input \[1, 3, height, width\] \(MiDaS\); found inputs "image" \(float32 \[3, 28, 28\]\)$/],
    ['a config with a wrong field', 'depth-broken/bad-config', /bad-config\/preprocessor_config\.json: field "image_mean": /],
  ])('%s', async (_, model, message) => {
    const error = await load(path.relative(process.cwd(), at(model))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
