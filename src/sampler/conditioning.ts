/**
 * Prompt text → CLIP conditioning as A1111 builds it (sd-pipeline.md §1.4): each 77-token chunk through the text
 * encoder, emphasis applied with the mean restored, chunks concatenated on the token axis. Encodings are cached per
 * text, since a Deforum render repeats its prompts every frame.
 */
import { chunkPrompt, emptyChunk, type ChunkTokenizer, type PromptChunk } from './prompt/chunks.js';
import { applyEmphasis } from './prompt/emphasis.js';
import { RE_SPACE, wholeWord } from './prompt/python-regex.js';
import { constantStates, type PromptConditioning, type TextStates } from './cfg-denoiser.js';
import { CHUNK_TOKENS, type TextEncoder } from './text-encoder.js';

/** Distinct prompt texts kept encoded; a render's prompts and their neighbours in interpolation fit easily. */
const CACHE_SIZE = 64;

/** One sub-prompt of a composable prompt and its weight (`a cat :1.2 AND a dog`). */
export interface WeightedText {
  text: string;
  weight: number;
}

const AND = new RegExp(wholeWord('AND'), 'u');
// A1111 re_weight, `^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$`, with Python's \s (\d: float() takes ASCII here)
const WEIGHT = new RegExp(`^([^]*?)(?:[${RE_SPACE}]*:[${RE_SPACE}]*([-+]?(?:\\d+\\.?|\\d*\\.\\d+)))?[${RE_SPACE}]*$`, 'u');

/** A1111's composable diffusion split (`get_multicond_prompt_list`, sd-pipeline.md §1.2): sub-prompts and weights. */
export function composableParts(prompt: string): WeightedText[] {
  return prompt.split(AND).map((part) => {
    const match = WEIGHT.exec(part);
    return match ? { text: match[1], weight: match[2] === undefined ? 1 : Number(match[2]) } : { text: part, weight: 1 };
  });
}

export class PromptEncoder {
  private readonly cache = new Map<string, Promise<TextStates>>();
  private empty: Promise<Float32Array> | undefined;

  constructor(
    private readonly encoder: TextEncoder,
    private readonly tokenizer: ChunkTokenizer,
  ) {}

  /** One prompt text (no AND splitting: A1111 encodes the negative prompt this way) → its states [1, 77k, dim]. */
  encode(text: string): Promise<TextStates> {
    let states = this.cache.get(text);
    if (states) {
      // refresh its place in the least-recently-used order
      this.cache.delete(text);
    } else {
      states = this.encodeUncached(text);
      states.catch(() => this.cache.delete(text));
      if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(text, states);
    return states;
  }

  /** A composable prompt: each sub-prompt encoded, with its weight. */
  async conditioning(parts: readonly WeightedText[]): Promise<PromptConditioning> {
    return { parts: await Promise.all(parts.map(async ({ text, weight }) => ({ schedule: constantStates(await this.encode(text)), weight }))) };
  }

  /**
   * Deforum prompt interpolation: `(1 − t)·a + t·b`. Two plain prompts blend their encodings, the shorter padded with
   * the empty-prompt chunk (what A1111 encodes for a chunk a prompt lacks); composable prompts blend their guidance
   * instead, which is the same linear mix of the CFG terms.
   */
  async blend(a: readonly WeightedText[], b: readonly WeightedText[], t: number): Promise<PromptConditioning> {
    if (a.length === 1 && b.length === 1) {
      const [sa, sb] = await Promise.all([this.encode(a[0].text), this.encode(b[0].text)]);
      const chunks = Math.max(sa.tokens, sb.tokens) / CHUNK_TOKENS;
      const [pa, pb] = await Promise.all([this.padTo(sa, chunks), this.padTo(sb, chunks)]);
      const data = pa.map((v, i) => v + t * (pb[i] - v));
      return { parts: [{ schedule: constantStates({ data, tokens: chunks * CHUNK_TOKENS, dim: sa.dim }), weight: a[0].weight }] };
    }
    const [ca, cb] = await Promise.all([this.conditioning(a), this.conditioning(b)]);
    return {
      parts: [...ca.parts.map((p) => ({ ...p, weight: p.weight * (1 - t) })), ...cb.parts.map((p) => ({ ...p, weight: p.weight * t }))],
    };
  }

  private async padTo(states: TextStates, chunks: number): Promise<Float32Array> {
    const have = states.tokens / CHUNK_TOKENS;
    if (have === chunks) return states.data;
    const empty = await this.emptyChunkStates();
    const data = new Float32Array(chunks * CHUNK_TOKENS * states.dim);
    data.set(states.data);
    for (let chunk = have; chunk < chunks; chunk++) data.set(empty, chunk * empty.length);
    return data;
  }

  private emptyChunkStates(): Promise<Float32Array> {
    this.empty ??= this.encodeChunk(emptyChunk(this.tokenizer));
    return this.empty;
  }

  private async encodeChunk(chunk: PromptChunk): Promise<Float32Array> {
    const z = await this.encoder.encodeChunk(chunk.ids);
    applyEmphasis(z, chunk.weights, CHUNK_TOKENS, this.encoder.dim);
    return z;
  }

  private async encodeUncached(text: string): Promise<TextStates> {
    const { chunks } = chunkPrompt(this.tokenizer, text);
    const dim = this.encoder.dim;
    const data = new Float32Array(chunks.length * CHUNK_TOKENS * dim);
    for (let i = 0; i < chunks.length; i++) data.set(await this.encodeChunk(chunks[i]), i * CHUNK_TOKENS * dim);
    return { data, tokens: chunks.length * CHUNK_TOKENS, dim };
  }
}
