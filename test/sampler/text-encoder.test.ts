import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { DeviceSessions } from '../../src/sampler/devices.js';
import { readModelFolder } from '../../src/sampler/model-folder.js';
import { TextEncoder } from '../../src/sampler/text-encoder.js';
import { fixtureModel, maxAbsDiff, reference, referenceIds } from './model-fixtures.js';

async function openEncoder(name: string, clipSkip?: number): Promise<TextEncoder> {
  const folder = readModelFolder(fixtureModel(name));
  return TextEncoder.open(folder.textEncoder, new DeviceSessions('cpu'), folder.root, clipSkip);
}

describe('TextEncoder', () => {
  for (const name of ['sd-diffusers', 'sd-optimum']) {
    it(`encodes a chunk as torch does (${name}: ${name === 'sd-optimum' ? 'int64' : 'int32'} input_ids)`, async () => {
      const encoder = await openEncoder(name);
      expect(encoder.dim).toBe(8);
      expect(maxAbsDiff(await encoder.encodeChunk(referenceIds()), reference(name).text_last)).toBeLessThan(1e-5);
      await encoder.release();
    });
  }

  it('feeds an all-ones attention_mask to exports that take one', async () => {
    const encoder = await openEncoder('sd-int64-timestep');
    expect(maxAbsDiff(await encoder.encodeChunk(referenceIds()), reference('sd-int64-timestep').text_last)).toBeLessThan(1e-5);
    await encoder.release();
  });

  it('reads an fp16 encoder into float32 states', async () => {
    const encoder = await openEncoder('sd-fp16');
    expect(maxAbsDiff(await encoder.encodeChunk(referenceIds()), reference('sd-fp16').text_last)).toBeLessThan(1e-6);
    await encoder.release();
  });

  it('clip skip 2 = final LayerNorm of hidden_states[-2], as A1111', async () => {
    const encoder = await openEncoder('sd-diffusers', 2);
    const states = await encoder.encodeChunk(referenceIds());
    const expected = reference('sd-diffusers').text_clip_skip_2;
    expect(maxAbsDiff(states, expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(states, reference('sd-diffusers').text_last)).toBeGreaterThan(0.01);
    await encoder.release();
  });

  it('clip skip beyond the layers of the export is refused', async () => {
    await expect(openEncoder('sd-diffusers', 4)).rejects.toThrow('--clip-skip 4 is too large: text_encoder/model.onnx has 3 layers (hidden_states.0..3)');
  });

  it('rejects a chunk that is not 77 tokens', async () => {
    const encoder = await openEncoder('sd-diffusers');
    await expect(encoder.encodeChunk(new Int32Array(75))).rejects.toThrow(RangeError);
    await encoder.release();
  });

  it('an export without hidden states cannot clip skip, and says what to do', async () => {
    const opening = openEncoder('sd-optimum', 2);
    await expect(opening).rejects.toThrow(ModelError);
    await expect(opening).rejects.toThrow(
      'text_encoder/model.onnx has no hidden_states.* outputs, so --clip-skip 2 is not possible; export the text encoder with output_hidden_states, or use --clip-skip 1',
    );
  });
});
