/**
 * Prompt text → CLIP conditioning as A1111 builds it (docs/sd-pipeline.md §1.4): each 77-token chunk through the text
 * encoder, emphasis applied with the mean restored, chunks concatenated on the token axis. Encodings are cached per
 * text, since a Deforum render repeats its prompts every frame.
 */
import { CHUNK_TOKENS, chunkPrompt, emptyChunk, type ChunkTokenizer, type PromptChunk } from './prompt/chunks.js';
import { applyEmphasis } from './prompt/emphasis.js';
import { constantStates, type PromptConditioning, type StatesSchedule, type TextStates } from './cfg-denoiser.js';
import { composablePrompt, type SubPrompt } from './prompt/composable.js';
import { withoutExtraNetworks } from './prompt/extra-networks.js';
import { promptSchedule } from './prompt/schedule.js';
import type { TextEncoder } from './text-encoder.js';

/** Distinct prompt texts kept encoded; a render's prompts and their neighbours in interpolation fit easily. */
const CACHE_SIZE = 64;

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

  /**
   * A prompt's states over a run of `steps` denoiser calls (A1111 prompt editing `[a:b:when]`, alternation `[a|b]`;
   * `steps` is the schedule length A1111 uses: the requested steps, doubled for second-order samplers).
   */
  async scheduled(text: string, steps: number): Promise<StatesSchedule> {
    const schedule = promptSchedule(text, steps);
    return Promise.all(schedule.map(async ([endStep, part]) => ({ endStep, states: await this.encode(part) })));
  }

  /**
   * A positive prompt: its AND sub-prompts (A1111 composable diffusion), each scheduled and weighted. Its extra
   * network tags (`<lora:…>`) are removed first, as A1111 removes them from positive prompts only (§1.5).
   */
  async conditioning(prompt: string, steps: number): Promise<PromptConditioning> {
    return this.composed(composablePrompt(withoutExtraNetworks(prompt)), steps);
  }

  /**
   * Deforum prompt interpolation: `(1 − t)·a + t·b`. Two plain prompts blend their encodings, the shorter padded with
   * the empty-prompt chunk (what A1111 encodes for a chunk a prompt lacks); prompts with AND or prompt editing blend
   * their guidance instead, which is the same linear mix of the CFG terms.
   */
  async blend(a: string, b: string, t: number, steps: number): Promise<PromptConditioning> {
    const [pa, pb] = [composablePrompt(withoutExtraNetworks(a)), composablePrompt(withoutExtraNetworks(b))];
    const plain = (parts: SubPrompt[]) => parts.length === 1 && promptSchedule(parts[0].text, steps).length === 1;
    if (plain(pa) && plain(pb)) {
      const states = await this.lerp(pa[0].text, pb[0].text, t);
      return { parts: [{ schedule: constantStates(states), weight: pa[0].weight + t * (pb[0].weight - pa[0].weight) }] };
    }
    const [ca, cb] = await Promise.all([this.composed(pa, steps), this.composed(pb, steps)]);
    return {
      parts: [...ca.parts.map((p) => ({ ...p, weight: p.weight * (1 - t) })), ...cb.parts.map((p) => ({ ...p, weight: p.weight * t }))],
    };
  }

  /** Negative prompts blended as plain prompts; one with prompt editing is not blended: the nearer one is used. */
  async blendNegative(a: string, b: string, t: number, steps: number): Promise<StatesSchedule> {
    if (promptSchedule(a, steps).length > 1 || promptSchedule(b, steps).length > 1) return this.scheduled(t < 0.5 ? a : b, steps);
    return constantStates(await this.lerp(a, b, t));
  }

  /** `(1 − t)·a + t·b` of two texts' states, the shorter padded with the empty-prompt chunk. */
  private async lerp(a: string, b: string, t: number): Promise<TextStates> {
    const [sa, sb] = await Promise.all([this.encode(a), this.encode(b)]);
    const chunks = Math.max(sa.tokens, sb.tokens) / CHUNK_TOKENS;
    const [va, vb] = await Promise.all([this.padTo(sa, chunks), this.padTo(sb, chunks)]);
    return { data: va.map((v, i) => v + t * (vb[i] - v)), tokens: chunks * CHUNK_TOKENS, dim: sa.dim };
  }

  private async composed(parts: readonly SubPrompt[], steps: number): Promise<PromptConditioning> {
    return { parts: await Promise.all(parts.map(async ({ text, weight }) => ({ schedule: await this.scheduled(text, steps), weight }))) };
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
