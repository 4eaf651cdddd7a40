import { describe, expect, it } from 'vitest';
import { buildPromptSchedule, mergeGlobalPrompts, splitPrompt } from '../../src/keyframes/prompts.js';

const schedule = (prompts: Record<string, string>, options: { frames?: number; positivePrompt?: string; negativePrompt?: string; promptInterpolation?: boolean; seed?: number } = {}) =>
  buildPromptSchedule(
    { prompts, positivePrompt: options.positivePrompt ?? '', negativePrompt: options.negativePrompt ?? '', promptInterpolation: options.promptInterpolation ?? false },
    { frames: options.frames ?? 10, seed: options.seed ?? 0 },
  );

describe('--neg split (prepare_prompt, docs/deforum.md §b)', () => {
  it('splits positive and negative and strips both', () => {
    expect(splitPrompt(' a cat --neg  blurry ')).toEqual({ positive: 'a cat', negative: 'blurry' });
    expect(splitPrompt('a cat')).toEqual({ positive: 'a cat', negative: '' });
  });

  it('joins every part after the first --neg with no separator', () => {
    expect(splitPrompt('a --neg b --neg c')).toEqual({ positive: 'a', negative: 'b  c' });
  });
});

describe('global positive/negative merge', () => {
  it("is Deforum's f-string", () => {
    expect(mergeGlobalPrompts('a cat', 'best', 'nsfw')).toBe('best a cat --neg nsfw');
    expect(mergeGlobalPrompts('a coconut --neg photo, realistic', '', 'nsfw, nude')).toBe(' a coconut --neg photo, realistic  nsfw, nude');
  });

  it('puts the global negative after an inline negative', () => {
    expect(schedule({ 0: 'a coconut --neg photo, realistic' }, { negativePrompt: 'nsfw, nude' })(0).prompt).toEqual({ positive: 'a coconut', negative: 'photo, realistic  nsfw, nude' });
  });

  it('removes --neg from the global negative first', () => {
    expect(schedule({ 0: 'a cat' }, { negativePrompt: '--neg blurry' })(0).prompt).toEqual({ positive: 'a cat', negative: 'blurry' });
  });

  it('merges only once: a prompt saved by Deforum already merged is left alone', () => {
    const saved = ' tiny cute swamp bunny --neg nsfw, nude';
    expect(schedule({ 0: saved }, { negativePrompt: 'nsfw, nude' })(0).prompt).toEqual({ positive: 'tiny cute swamp bunny', negative: 'nsfw, nude' });
    expect(schedule({ 0: 'style, a cat --neg ugly' }, { positivePrompt: 'style,', negativePrompt: 'ugly' })(0).prompt).toEqual({ positive: 'style, a cat', negative: 'ugly' });
  });
});

describe('frame selection', () => {
  it('hard cuts: the last key holds; frames before the first key use the first prompt', () => {
    const p = schedule({ 3: 'a', 6: 'b' });
    expect([0, 2, 3, 5, 6, 9].map((f) => p(f).prompt.positive)).toEqual(['a', 'a', 'a', 'a', 'b', 'b']);
  });

  it('keys may be expressions with max_f = frames − 1', () => {
    const p = schedule({ 0: 'a', 'max_f/2': 'b', 'max_f - 1': 'c' }, { frames: 11 });
    expect([4, 5, 8, 9, 10].map((f) => p(f).prompt.positive)).toEqual(['a', 'b', 'b', 'c', 'c']);
  });

  it('a key past the end applies only when there is no earlier key', () => {
    expect(schedule({ 0: 'a', 50: 'b' })(9).prompt.positive).toBe('a');
    expect(schedule({ 50: 'b' })(0).prompt.positive).toBe('b');
  });

  it('a bad key is an error naming it', () => {
    expect(() => schedule({ 'foo/2': 'a' })).toThrow("prompts.foo/2: frame key 'foo/2': unknown name 'foo'");
  });
});

describe('backtick expressions', () => {
  it('are evaluated per frame; t is replaced only as a whole identifier', () => {
    const p = schedule({ 0: 'a (cat:`1-t/max_f`) `sqrt(t)` `tan(t)`' }, { frames: 5 });
    expect(p(0).prompt.positive).toBe('a (cat:1.0) 0.0 0.0');
    expect(p(4).prompt.positive).toBe(`a (cat:0.0) 2.0 ${String(Math.tan(4))}`);
  });

  it('print integers without .0 and support where() with commas and s', () => {
    const p = schedule({ 0: 'x`t*2` `where(t>1, 5, 6)` `s`' }, { seed: 7 });
    expect(p(3).prompt.positive).toBe('x6 5 7');
  });

  it('a bad backtick expression is an error naming the prompt', () => {
    expect(() => schedule({ 10: 'a `import(1)`' })).toThrow("prompts.10: backtick expression `import(1)`: function 'import' is not allowed");
  });
});

describe('promptInterpolation', () => {
  it('records both neighbouring prompts and w_next = (f − cur)/(next − cur)', () => {
    const p = schedule({ 0: 'a --neg x', 4: 'b' }, { promptInterpolation: true });
    expect(p(0)).toEqual({ prompt: { positive: 'a', negative: 'x' } });
    expect(p(1)).toEqual({ prompt: { positive: 'a', negative: 'x' }, blend: { next: { positive: 'b', negative: '' }, weight: 0.25 } });
    expect(p(3).blend?.weight).toBe(0.75);
    expect(p(4)).toEqual({ prompt: { positive: 'b', negative: '' } });
    expect(p(9).blend).toBeUndefined();
  });

  it('is off by default', () => {
    expect(schedule({ 0: 'a', 4: 'b' })(2).blend).toBeUndefined();
  });
});

describe('lookup cost (issue 13)', () => {
  it('keys before frame 0, however many, are one warning', () => {
    const warnings: string[] = [];
    const prompts = Object.fromEntries([['0', 'a cat'], ...Array.from({ length: 1000 }, (_, i) => [`-${i + 1}`, 'a dog'])]);
    buildPromptSchedule({ prompts, positivePrompt: '', negativePrompt: '', promptInterpolation: false }, { frames: 2, seed: 0, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual(["prompts: 1000 keys are before frame 0; ignored: '-1' is frame -1, '-2' is frame -2, '-3' is frame -3, …"]);
  });

  // The key in force is found once per frame by a walk, not a scan of the keys per frame (which never finished here).
  it('100,000 keys over 1,000,000 frames: every frame gets its key, the blend its next key', { timeout: 15_000 }, () => {
    const frames = 1_000_000;
    const prompts = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [String(i * 10), `a cat ${i} --neg dog ${i}`]));
    const at = schedule(prompts, { frames, promptInterpolation: true });
    let wrong = 0;
    for (let frame = 0; frame < frames; frame++) {
      const key = Math.floor(frame / 10);
      const { prompt, blend } = at(frame);
      if (prompt.positive !== `a cat ${key}` || prompt.negative !== `dog ${key}`) wrong++;
      const between = frame % 10 !== 0 && key + 1 < 100_000;
      if (between ? blend?.next.positive !== `a cat ${key + 1}` || blend.weight !== (frame % 10) / 10 : blend !== undefined) wrong++;
    }
    expect(wrong).toBe(0);
  });
});
