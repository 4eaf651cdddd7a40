import { describe, expect, it } from 'vitest';
import { composablePrompt } from '../../../src/sampler/prompt/composable.js';

const split = (prompt: string) => composablePrompt(prompt).map(({ text, weight }) => [text, weight]);

describe('composablePrompt (A1111 AND)', () => {
  it('splits at AND, each sub-prompt weighing 1 unless it ends with :weight', () => {
    expect(split('a cat AND a dog')).toEqual([['a cat', 1], [' a dog', 1]]);
    expect(split('a cat:1.2 AND a dog : 0.5')).toEqual([['a cat', 1.2], [' a dog', 0.5]]);
    expect(split('cat AND dog:-1')).toEqual([['cat', 1], [' dog', -1]]);
    expect(split('a\nb :2.')).toEqual([['a\nb', 2]]);
    expect(split('a :+1 AND  b:1.2.3')).toEqual([['a', 1], ['  b:1.2.3', 1]]);
  });

  it('takes only the last :number as the weight, leaving emphasis and editing syntax in the text', () => {
    expect(split('a:1.2:3')).toEqual([['a:1.2', 3]]);
    expect(split('(x:1.2) AND [y:z:3]:.5')).toEqual([['(x:1.2)', 1], [' [y:z:3]', 0.5]]);
  });

  it('splits only at AND as a whole upper-case word', () => {
    expect(split('cat and dog')).toEqual([['cat and dog', 1]]);
    expect(split('ANDROID AND')).toEqual([['ANDROID', 1], ['', 1]]);
    expect(split('éAND b')).toEqual([['éAND b', 1]]);
    expect(split('cat AND\ndog')).toEqual([['cat', 1], ['\ndog', 1]]);
  });

  it('keeps an empty prompt as one empty sub-prompt', () => {
    expect(split('')).toEqual([['', 1]]);
  });
});
