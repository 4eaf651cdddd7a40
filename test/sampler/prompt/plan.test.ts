import { describe, expect, it } from 'vitest';
import { bundledModelPath } from '../../../src/models/bundled.js';
import { chunkPrompt } from '../../../src/sampler/prompt/chunks.js';
import { loadClipTokenizer } from '../../../src/sampler/prompt/clip-tokenizer.js';
import { planConditioning } from '../../../src/sampler/prompt/plan.js';
import { scheduledAt } from '../../../src/sampler/prompt/schedule.js';

const tokenizer = loadClipTokenizer(bundledModelPath('tiny-sd'));

describe('planConditioning', () => {
  it('is one sub-prompt with one entry, the prompt chunks, for a plain prompt', () => {
    const plan = planConditioning(tokenizer, 'a (red:1.3) fox', { steps: 20 });
    expect(plan.subprompts).toHaveLength(1);
    const [sub] = plan.subprompts;
    expect(sub.weight).toBe(1);
    expect(sub.schedule).toEqual([{ endStep: 20, text: 'a (red:1.3) fox', chunks: chunkPrompt(tokenizer, 'a (red:1.3) fox').chunks }]);
  });

  it('splits AND sub-prompts with their weights, each with its own editing schedule', () => {
    const plan = planConditioning(tokenizer, 'a [cat:dog:0.5] :1.5 AND a forest:0.5', { steps: 10 });
    expect(plan.subprompts.map(({ text, weight }) => [text, weight])).toEqual([['a [cat:dog:0.5]', 1.5], [' a forest', 0.5]]);
    expect(plan.subprompts[0].schedule.map(({ endStep, text }) => [endStep, text])).toEqual([[5, 'a cat'], [10, 'a dog']]);
    expect(plan.subprompts[1].schedule.map(({ endStep, text }) => [endStep, text])).toEqual([[10, ' a forest']]);
  });

  it('keeps the negative prompt whole when not composable', () => {
    const plan = planConditioning(tokenizer, 'blurry AND ugly', { steps: 10, composable: false });
    expect(plan.subprompts.map(({ text, weight }) => [text, weight])).toEqual([['blurry AND ugly', 1]]);
  });

  it('pads every scheduled text of a sub-prompt to the same chunk count with the empty chunk', () => {
    const long = Array(80).fill('cat').join(' ');
    const [sub] = planConditioning(tokenizer, `[${long}:dog:3]`, { steps: 10 }).subprompts;
    expect(sub.schedule.map((entry) => entry.chunks.length)).toEqual([2, 2]);
    expect(sub.schedule[1].chunks[1]).toEqual(chunkPrompt(tokenizer, '').chunks[0]);
  });

  it('img2img: at 20 steps and strength 0.5 the 11-step run counts 0..10, so [a:b:0.5] never reaches b', () => {
    const [sub] = planConditioning(tokenizer, '[a:b:0.5]', { steps: 20 }).subprompts;
    const texts = new Set(Array.from({ length: 11 }, (_, step) => scheduledAt(sub.schedule, step).text));
    expect([...texts]).toEqual(['a']);
  });
});
