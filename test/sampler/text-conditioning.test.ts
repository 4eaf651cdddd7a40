import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromptEncoder } from '../../src/sampler/conditioning.js';
import { DeviceSessions } from '../../src/sampler/devices.js';
import { readModelFolder } from '../../src/sampler/model-folder.js';
import { loadClipTokenizer } from '../../src/sampler/prompt/clip-tokenizer.js';
import { TextEncoder } from '../../src/sampler/text-encoder.js';
import { fixtureModel, maxAbsDiff } from './model-fixtures.js';

describe('PromptEncoder', () => {
  let encoder: TextEncoder;
  let prompts: PromptEncoder;
  beforeAll(async () => {
    const folder = readModelFolder(fixtureModel('sd-diffusers'));
    encoder = await TextEncoder.open(folder.textEncoder, new DeviceSessions('cpu'), folder.root);
    prompts = new PromptEncoder(encoder, loadClipTokenizer(folder.root));
  });
  afterAll(async () => {
    await encoder.release();
  });

  it('concatenates 77-token chunks for prompts over 75 tokens', async () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    const states = await prompts.encode(long);
    expect(states.tokens % 77).toBe(0);
    expect(states.tokens).toBeGreaterThan(77);
    expect(states.data.length).toBe(states.tokens * 8);
    expect((await prompts.encode('a cat')).tokens).toBe(77);
  });

  it('applies emphasis and restores the mean, as A1111 "Original"', async () => {
    const plain = await prompts.encode('a red cat');
    const weighted = await prompts.encode('a (red:1.5) cat');
    expect(maxAbsDiff(plain.data, weighted.data)).toBeGreaterThan(1e-3);
    const mean = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(weighted.data)).toBeCloseTo(mean(plain.data), 5);
  });

  it('encodes each text once', async () => {
    expect(await prompts.encode('a cached prompt')).toBe(await prompts.encode('a cached prompt'));
  });

  it('blends prompts of different chunk counts by padding with the empty-prompt chunk', async () => {
    const long = Array(100).fill('cat').join(' ');
    const short = await prompts.encode('a cat');
    const empty = await prompts.encode('');
    const at0 = (await prompts.blend('a cat', long, 0, 20)).parts[0].schedule[0].states;
    expect(at0.tokens).toBe(154);
    expect(Array.from(at0.data.subarray(0, 77 * 8))).toEqual(Array.from(short.data));
    expect(Array.from(at0.data.subarray(77 * 8))).toEqual(Array.from(empty.data));
  });

  it('blends the weights of plain prompts too', async () => {
    const blended = await prompts.blend('a cat :0.5', 'a dog :1.5', 0.5, 20);
    expect(blended.parts.map((p) => p.weight)).toEqual([1]);
  });

  it('blends negative prompts; one with prompt editing is taken whole from the nearer side', async () => {
    const [a, b] = [await prompts.encode('blurry'), await prompts.encode('dark')];
    const half = (await prompts.blendNegative('blurry', 'dark', 0.5, 20))[0].states;
    expect(maxAbsDiff(half.data, a.data.map((v, i) => (v + b.data[i]) / 2))).toBeLessThan(1e-6);
    const edited = await prompts.blendNegative('blurry', '[dark:light:0.5]', 0.25, 20);
    expect(edited.map((e) => e.states)).toEqual([a]);
  });

  it('blends composable prompts through their guidance weights', async () => {
    const blended = await prompts.blend('a AND b :2', 'c', 0.25, 20);
    expect(blended.parts.map((p) => p.weight)).toEqual([0.75, 1.5, 0.25]);
  });

  it('schedules prompt edits: one encoding per run of steps', async () => {
    const schedule = await prompts.scheduled('a [cat:dog:0.5]', 10);
    expect(schedule.map((e) => e.endStep)).toEqual([5, 10]);
    expect(schedule[0].states).toBe(await prompts.encode('a cat'));
    expect(schedule[1].states).toBe(await prompts.encode('a dog'));
  });

  it('splits AND sub-prompts with their weights', async () => {
    const { parts } = await prompts.conditioning('a cat :1.2 AND a dog', 10);
    expect(parts.map((p) => p.weight)).toEqual([1.2, 1]);
    expect(parts[0].schedule[0].states).toBe(await prompts.encode('a cat'));
  });

  it('removes extra network tags from positive prompts before anything parses them, and keeps them in the negative (A1111)', async () => {
    const same = async (a: Promise<{ parts: Array<{ schedule: Array<{ states: { data: Float32Array } }> }> }>, b: Promise<{ data: Float32Array }>) =>
      expect(Array.from((await a).parts[0].schedule[0].states.data)).toEqual(Array.from((await b).data));
    await same(prompts.conditioning('a red cat <lora:[x]:0.8>', 20), prompts.encode('a red cat '));
    await same(prompts.blend('<hypernet:h:1>a red cat', 'a dog<lyco:y:1>', 0, 20), prompts.encode('a red cat'));
    const negative = (await prompts.scheduled('blurry <lora:x:1>', 20))[0].states;
    expect(maxAbsDiff(negative.data, (await prompts.encode('blurry ')).data)).toBeGreaterThan(1e-3);
  });
});
