import { describe, expect, it } from 'vitest';
import { KeyframeError } from '../../../src/errors.js';
import { parsePromptAttention } from '../../../src/sampler/prompt/attention.js';

const parse = (prompt: string) => parsePromptAttention(prompt).map(({ text, weight }) => [text, weight]);

describe('parsePromptAttention (A1111 parse_prompt_attention)', () => {
  it('passes every doctest of A1111', () => {
    expect(parse('normal text')).toEqual([['normal text', 1.0]]);
    expect(parse('an (important) word')).toEqual([['an ', 1.0], ['important', 1.1], [' word', 1.0]]);
    expect(parse('(unbalanced')).toEqual([['unbalanced', 1.1]]);
    expect(parse('\\(literal\\]')).toEqual([['(literal]', 1.0]]);
    expect(parse('(unnecessary)(parens)')).toEqual([['unnecessaryparens', 1.1]]);
    expect(parse('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).')).toEqual([
      ['a ', 1.0],
      ['house', 1.5730000000000004],
      [' ', 1.1],
      ['on', 1.0],
      [' a ', 1.1],
      ['hill', 0.55],
      [', sun, ', 1.1],
      ['sky', 1.4641000000000006],
      ['.', 1.1],
    ]);
  });

  it('multiplies nested brackets by repeated float multiplication', () => {
    expect(parse('(((sky)))')).toEqual([['sky', 1.3310000000000004]]);
    expect(parse('((((sky))))')).toEqual([['sky', 1.4641000000000006]]);
    expect(parse('((a)')).toEqual([['a', 1.2100000000000002]]);
    expect(parse('[[a]] b')).toEqual([['a', 0.8264462809917354], [' b', 1.0]]);
    expect(parse('[a (b:1.5) c]')).toEqual([['a ', 0.9090909090909091], ['b', 1.3636363636363635], [' c', 0.9090909090909091]]);
  });

  it('reads explicit weights, with spaces, zero and negative ones', () => {
    expect(parse('(a: 1.25 ) b')).toEqual([['a', 1.25], [' b', 1.0]]);
    expect(parse('(masterpiece:1.2), best quality, [ugly:0.5]')).toEqual([['masterpiece', 1.2], [', best quality, ', 1.0], ['ugly:0.5', 0.9090909090909091]]);
    expect(parse('(a:0)')).toEqual([['a', 0]]);
    expect(parse('(a:-1)')).toEqual([['a', -1]]);
  });

  it('keeps unmatched closers and colons as text', () => {
    expect(parse('a:1.2) b')).toEqual([['a:1.2) b', 1.0]]);
    expect(parse('x ) y ] z : w')).toEqual([['x ) y ] z : w', 1.0]]);
    expect(parse('(a))')).toEqual([['a', 1.1], [')', 1.0]]);
  });

  it('reads escapes as literal characters of weight 1, still multiplied by an enclosing bracket', () => {
    expect(parse('(a \\(b\\) c)')).toEqual([['a (b) c', 1.1]]);
    expect(parse('(a\\\\b)')).toEqual([['a\\b', 1.1]]);
    expect(parse('a\\b')).toEqual([['ab', 1.0]]);
    expect(parse('trailing\\')).toEqual([['trailing', 1.0]]);
  });

  it('marks BREAK as a whole word only, with weight -1', () => {
    expect(parse('one BREAK two')).toEqual([['one', 1.0], ['BREAK', -1], ['two', 1.0]]);
    expect(parse('a\nBREAK\nb')).toEqual([['a', 1.0], ['BREAK', -1], ['b', 1.0]]);
    expect(parse('BREAK')).toEqual([['', 1.0], ['BREAK', -1], ['', 1.0]]);
    expect(parse('aBREAK b')).toEqual([['aBREAK b', 1.0]]);
    expect(parse('a BREAKs')).toEqual([['a BREAKs', 1.0]]);
    expect(parse('ÉBREAK')).toEqual([['ÉBREAK', 1.0]]);
    expect(parse('(one BREAK two)')).toEqual([['one', 1.1], ['BREAK', -1.1], ['two', 1.1]]);
  });

  it('gives one empty fragment for an empty prompt', () => {
    expect(parse('')).toEqual([['', 1.0]]);
  });

  it('rejects a weight that is not a number, naming it', () => {
    expect(() => parsePromptAttention('a (cat:1.2.3)')).toThrow(KeyframeError);
    expect(() => parsePromptAttention('a (cat:1.2.3)')).toThrow('prompt "a (cat:1.2.3)": weight "1.2.3" at character 7 is not a number; expected (text:1.2)');
  });
});
