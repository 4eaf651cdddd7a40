import { isBreak, parsePromptAttention, type PromptFragment } from './attention.js';
import type { ClipTokenizer } from './clip-tokenizer.js';

/** Prompt tokens per chunk; with BOS and EOS a chunk is `CHUNK_TOKENS` = 77 (docs/sd-pipeline.md §1.4). */
export const CHUNK_LENGTH = 75;
export const CHUNK_TOKENS = CHUNK_LENGTH + 2;
/** A1111's `comma_padding_backtrack` default ("prompt word wrap", docs/sd-pipeline.md §1.4). */
export const COMMA_BACKTRACK = 20;

/**
 * One text-encoder input: 77 token ids and the emphasis multiplier of each, exactly as A1111's Python floats
 * (`applyEmphasis` rounds them to float32, as torch does).
 */
export interface PromptChunk {
  ids: Int32Array;
  weights: Float64Array;
}

export interface TokenizedPrompt {
  chunks: PromptChunk[];
  fragments: PromptFragment[];
}

export type ChunkTokenizer = Pick<ClipTokenizer, 'encode' | 'bosId' | 'eosId' | 'padId' | 'commaId'>;

/**
 * A prompt as the text encoder receives it, as A1111's `tokenize_line`: each emphasis fragment tokenised alone
 * (BPE never merges across a weight boundary), tokens poured into 75-token chunks, `BREAK` starting a new chunk, and
 * a full chunk moving the words after its last comma to the next one when that comma is within `commaBacktrack`
 * tokens of the end (0 turns the word wrap off). Each chunk is `[BOS] + 75 tokens padded with EOS + [EOS]`, weight 1
 * on BOS, EOS and padding; an empty prompt is one chunk `[BOS] + [EOS]×76`.
 */
export function chunkPrompt(tokenizer: ChunkTokenizer, prompt: string, options: { commaBacktrack?: number } = {}): TokenizedPrompt {
  const commaBacktrack = options.commaBacktrack ?? COMMA_BACKTRACK;
  const fragments = parsePromptAttention(prompt);
  const chunks: PromptChunk[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  let lastComma = -1;

  const nextChunk = () => {
    chunks.push(wrapChunk(tokenizer, ids, weights));
    ids = [];
    weights = [];
    lastComma = -1;
  };

  for (const fragment of fragments) {
    if (isBreak(fragment)) {
      nextChunk();
      continue;
    }
    for (const id of tokenizer.encode(fragment.text)) {
      if (id === tokenizer.commaId) {
        lastComma = ids.length;
      } else if (commaBacktrack !== 0 && ids.length === CHUNK_LENGTH && lastComma !== -1 && ids.length - lastComma <= commaBacktrack) {
        const wrappedIds = ids.slice(lastComma + 1);
        const wrappedWeights = weights.slice(lastComma + 1);
        ids = ids.slice(0, lastComma + 1);
        weights = weights.slice(0, lastComma + 1);
        nextChunk();
        ids = wrappedIds;
        weights = wrappedWeights;
      }
      if (ids.length === CHUNK_LENGTH) nextChunk();
      ids.push(id);
      weights.push(fragment.weight);
    }
  }
  if (ids.length > 0 || chunks.length === 0) nextChunk();
  return { chunks, fragments };
}

/** The chunk of a prompt that has no tokens: what A1111 encodes for chunks a shorter prompt lacks. */
export function emptyChunk(tokenizer: ChunkTokenizer): PromptChunk {
  return wrapChunk(tokenizer, [], []);
}

/**
 * `[BOS] + ids + EOS padding to 75 + [EOS]`. Where the pad token is not EOS (SD2), everything after the first EOS
 * becomes pad, as A1111's `process_tokens` does before the encoder.
 */
function wrapChunk(tokenizer: ChunkTokenizer, ids: number[], weights: number[]): PromptChunk {
  const chunk: PromptChunk = { ids: new Int32Array(CHUNK_TOKENS).fill(tokenizer.eosId), weights: new Float64Array(CHUNK_TOKENS).fill(1) };
  chunk.ids[0] = tokenizer.bosId;
  chunk.ids.set(ids, 1);
  chunk.weights.set(weights, 1);
  const firstEos = chunk.ids.indexOf(tokenizer.eosId);
  chunk.ids.fill(tokenizer.padId, firstEos + 1);
  return chunk;
}
