import { describe, expect, it } from 'vitest';
import { bundledModelPath } from '../../../src/models/bundled.js';
import { chunkPrompt, emptyChunk } from '../../../src/sampler/prompt/chunks.js';
import { loadClipTokenizer } from '../../../src/sampler/prompt/clip-tokenizer.js';

const tokenizer = loadClipTokenizer(bundledModelPath('tiny-sd'));
const BOS = 49406;
const EOS = 49407;
const CAT = 2368; // cat</w>
const DOG = 1929; // dog</w>
const COMMA = 267; // ,</w>

const words = (word: string, n: number) => Array.from({ length: n }, () => word).join(' ');
/** The prompt tokens of a chunk: without BOS, the closing EOS and the padding. */
const body = (ids: Int32Array) => Array.from(ids.slice(1, ids.indexOf(EOS, 1)));

describe('chunkPrompt (A1111 tokenize_line)', () => {
  it('wraps a short prompt as [BOS] + tokens + EOS padding, weight 1 at the ends and on padding', () => {
    const { chunks, fragments } = chunkPrompt(tokenizer, 'a (cat:1.5) dog');
    expect(fragments).toEqual([{ text: 'a ', weight: 1 }, { text: 'cat', weight: 1.5 }, { text: ' dog', weight: 1 }]);
    expect(chunks).toHaveLength(1);
    const [{ ids, weights }] = chunks;
    expect(ids).toHaveLength(77);
    expect(Array.from(ids.slice(0, 5))).toEqual([BOS, 320, CAT, DOG, EOS]);
    expect(Array.from(ids.slice(4))).toEqual(Array(73).fill(EOS));
    expect(Array.from(weights.slice(0, 5))).toEqual([1, 1, 1.5, 1, 1]);
    expect(chunkPrompt(tokenizer, '((((sky))))').chunks[0].weights[1]).toBe(1.4641000000000006);
    expect(Array.from(weights.slice(4))).toEqual(Array(73).fill(1));
  });

  it('gives an empty prompt one chunk of [BOS] + [EOS]×76', () => {
    const { chunks } = chunkPrompt(tokenizer, '');
    expect(chunks).toHaveLength(1);
    expect(Array.from(chunks[0].ids)).toEqual([BOS, ...Array(76).fill(EOS)]);
    expect(Array.from(chunks[0].weights)).toEqual(Array(77).fill(1));
    expect(emptyChunk(tokenizer)).toEqual(chunks[0]);
  });

  it('tokenises each weighted fragment alone, so BPE never merges across a bracket', () => {
    const whole = chunkPrompt(tokenizer, 'photograph').chunks[0];
    const split = chunkPrompt(tokenizer, '(photo)graph').chunks[0];
    expect(body(whole.ids)).toEqual(tokenizer.encode('photograph'));
    expect(body(split.ids)).toEqual([...tokenizer.encode('photo'), ...tokenizer.encode('graph')]);
    expect(body(split.ids)).not.toEqual(body(whole.ids));
  });

  it('fills 75 tokens per chunk when there is no comma', () => {
    expect(chunkPrompt(tokenizer, words('cat', 75)).chunks).toHaveLength(1);
    const { chunks } = chunkPrompt(tokenizer, words('cat', 80));
    expect(chunks).toHaveLength(2);
    expect(body(chunks[0].ids)).toEqual(Array(75).fill(CAT));
    expect(body(chunks[1].ids)).toEqual(Array(5).fill(CAT));
  });

  it('moves the words after the last comma to the next chunk when the comma is within 20 tokens of the end', () => {
    const { chunks } = chunkPrompt(tokenizer, `${words('cat', 70)}, ${words('dog', 10)}`);
    expect(chunks).toHaveLength(2);
    expect(body(chunks[0].ids)).toEqual([...Array(70).fill(CAT), COMMA]);
    expect(chunks[0].ids[72]).toBe(EOS);
    expect(body(chunks[1].ids)).toEqual(Array(10).fill(DOG));

    const atLimit = chunkPrompt(tokenizer, `${words('cat', 55)}, ${words('dog', 30)}`).chunks;
    expect(body(atLimit[0].ids)).toEqual([...Array(55).fill(CAT), COMMA]);
    expect(body(atLimit[1].ids)).toEqual(Array(30).fill(DOG));
  });

  it('does not wrap when the last comma is more than 20 tokens back, or when the backtrack is 0', () => {
    const far = chunkPrompt(tokenizer, `${words('cat', 54)}, ${words('dog', 30)}`).chunks;
    expect(body(far[0].ids)).toEqual([...Array(54).fill(CAT), COMMA, ...Array(20).fill(DOG)]);
    expect(body(far[1].ids)).toEqual(Array(10).fill(DOG));

    const off = chunkPrompt(tokenizer, `${words('cat', 70)}, ${words('dog', 10)}`, { commaBacktrack: 0 }).chunks;
    expect(body(off[0].ids)).toEqual([...Array(70).fill(CAT), COMMA, ...Array(4).fill(DOG)]);
  });

  it('starts the next chunk with a comma that falls just past a full chunk', () => {
    const { chunks } = chunkPrompt(tokenizer, `${words('cat', 75)}, dog`);
    expect(body(chunks[0].ids)).toEqual(Array(75).fill(CAT));
    expect(body(chunks[1].ids)).toEqual([COMMA, DOG]);
  });

  it('starts a new chunk at BREAK and keeps fragment weights', () => {
    const { chunks } = chunkPrompt(tokenizer, '(cat) BREAK [dog]');
    expect(chunks).toHaveLength(2);
    expect(body(chunks[0].ids)).toEqual([CAT]);
    expect(body(chunks[1].ids)).toEqual([DOG]);
    expect(chunks[0].weights[1]).toBe(1.1);
    expect(chunks[1].weights[1]).toBe(1 / 1.1);
    expect(chunkPrompt(tokenizer, 'BREAK').chunks).toHaveLength(1);
  });

  it('splits a 200+ token prompt into three chunks, every token kept in order', () => {
    expect(chunkPrompt(tokenizer, words('cat', 210)).chunks).toHaveLength(3);
    const pasted = chunkPrompt(tokenizer, `${words('cat', 60)}, ${words('dog', 60)}, ${words('cat', 90)}`).chunks;
    expect(pasted.map((chunk) => body(chunk.ids).length)).toEqual([61, 61, 75, 15]);
    expect(pasted.flatMap((chunk) => body(chunk.ids))).toEqual([...Array(60).fill(CAT), COMMA, ...Array(60).fill(DOG), COMMA, ...Array(90).fill(CAT)]);
  });
});
