import { describe, expect, it } from 'vitest';
import { parsePromptAttention } from '../../../src/sampler/prompt/attention.js';
import { extraNetworksOf, extraNetworksWarning, splitExtraNetworks, withoutExtraNetworks } from '../../../src/sampler/prompt/extra-networks.js';
import { promptSchedule } from '../../../src/sampler/prompt/schedule.js';

// Expected values worked out from A1111's modules/extra_networks.py (re_extra_net, ExtraNetworkParams) and the
// activate() of extensions-builtin/Lora/extra_networks_lora.py and modules/extra_networks_hypernet.py.
describe('extra network tags, as A1111 parse_prompt splits them', () => {
  it.each([
    ['a cat <lora:add_detail:0.8>', 'a cat ', [{ kind: 'lora', name: 'add_detail', weights: [0.8, 0.8], tag: '<lora:add_detail:0.8>' }]],
    ['<lora:x>a cat', 'a cat', [{ kind: 'lora', name: 'x', weights: [1, 1], tag: '<lora:x>' }]],
    ['<lora:style:0.6:0.3> a', ' a', [{ kind: 'lora', name: 'style', weights: [0.6, 0.3], tag: '<lora:style:0.6:0.3>' }]],
    ['<lora:style:unet=0.2:te=0.9> a', ' a', [{ kind: 'lora', name: 'style', weights: [0.9, 0.2], tag: '<lora:style:unet=0.2:te=0.9>' }]],
    ['<lyco:loha_v1: 0.5 >b', 'b', [{ kind: 'lyco', name: 'loha_v1', weights: [0.5, 0.5], tag: '<lyco:loha_v1: 0.5 >' }]],
    ['c <hypernet:anime:1.2>', 'c ', [{ kind: 'hypernet', name: 'anime', weights: [1.2], tag: '<hypernet:anime:1.2>' }]],
    // an unknown kind is removed too (A1111 logs "Skipping unknown extra network"), and not applied
    ['<foo:bar:2>d', 'd', [{ kind: 'foo', name: 'bar', weights: [], tag: '<foo:bar:2>' }]],
    // a multiplier float() refuses makes A1111's activation fail: not applied
    ['<lora:x:strong>e', 'e', [{ kind: 'lora', name: 'x', weights: [], tag: '<lora:x:strong>' }]],
    ['<lora:x:1e-1>f', 'f', [{ kind: 'lora', name: 'x', weights: [0.1, 0.1], tag: '<lora:x:1e-1>' }]],
  ])('%j', (prompt, text, networks) => {
    expect(splitExtraNetworks(prompt)).toEqual({ text, networks });
  });

  it('leaves what the regex does not match: no kind, no argument, a space in the kind, a lone <', () => {
    for (const prompt of ['<:x:1>', '<lora>', '<lora:>', '<lo ra:x:1>', 'a < b', '<lora:x:1']) expect(withoutExtraNetworks(prompt)).toBe(prompt);
  });

  it('a Unicode word is a kind, as Python\'s \\w; a tag may span lines', () => {
    expect(extraNetworksOf('<lorä:x:1>')).toEqual([{ kind: 'lorä', name: 'x', weights: [], tag: '<lorä:x:1>' }]);
    expect(withoutExtraNetworks('a <lora:x\n:1> b')).toBe('a  b');
  });

  it('the tag is removed before emphasis and prompt editing read the prompt: <lora:[x]:0.8> is no de-emphasis', () => {
    const text = withoutExtraNetworks('a cat <lora:[x]:0.8>, [dog:fox:5]');
    expect(promptSchedule(text, 10)).toEqual([[5, 'a cat , dog'], [10, 'a cat , fox']]);
    expect(parsePromptAttention('a cat , dog')).toEqual([{ text: 'a cat , dog', weight: 1 }]);
    expect(parsePromptAttention('a cat <lora:[x]:0.8>').some((f) => f.weight !== 1)).toBe(true);
  });
});

describe('extraNetworksWarning', () => {
  it('none: no warning', () => {
    expect(extraNetworksWarning([])).toBeUndefined();
  });

  it('names each distinct tag once, the first four, then a count', () => {
    const networks = ['<lora:a:1>', '<lora:a:1>', '<lora:b:0.5>', '<hypernet:c>', '<lyco:d:1>', '<lora:e:1>', '<lora:f:1>'].flatMap(extraNetworksOf);
    expect(extraNetworksWarning(networks)).toBe(
      '6 extra network tags in the prompts (<lora:a:1> <lora:b:0.5> <hypernet:c> <lyco:d:1> and 2 more): removed from the prompt text as AUTOMATIC1111 does, but LoRA, LyCORIS and hypernetworks are not applied yet, so frames look as without them',
    );
    expect(extraNetworksWarning(extraNetworksOf('<lora:a:1>'), '--prompt')).toMatch(/^1 extra network tag in --prompt \(<lora:a:1>\): /);
  });
});
