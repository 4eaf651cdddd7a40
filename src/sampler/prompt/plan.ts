import { chunkPrompt, emptyChunk, type ChunkTokenizer, type PromptChunk } from './chunks.js';
import { composablePrompt } from './composable.js';
import { promptSchedule } from './schedule.js';

/** The text of a sub-prompt from one step to `endStep`, as text-encoder chunks. */
export interface ScheduledChunks {
  endStep: number;
  text: string;
  chunks: PromptChunk[];
}

export interface SubPromptPlan {
  /** The sub-prompt as written, editing syntax included. */
  text: string;
  /** Its weight in the guidance sum `uncond + Σ weight·cfg·(cond − uncond)` (docs/sd-pipeline.md §1.2). */
  weight: number;
  /** In step order; pick the entry for a step with `scheduledAt`. Every entry has the same number of chunks. */
  schedule: ScheduledChunks[];
}

export interface ConditioningPlan {
  subprompts: SubPromptPlan[];
}

export interface PlanOptions {
  /** The step count prompt editing counts in (see `promptSchedule`). */
  steps: number;
  /** Split at `AND` (the positive prompt); A1111 encodes the negative prompt whole. Default true. */
  composable?: boolean;
  commaBacktrack?: number;
}

/**
 * Everything the text encoder must encode for a prompt, as A1111 prepares it: `AND` sub-prompts with weights, each
 * with its prompt-editing schedule, each scheduled text in 77-token chunks. A1111 encodes a sub-prompt's scheduled
 * texts as one batch per chunk index, a text with fewer chunks getting the empty chunk (`emptyChunk`), so here every
 * entry of a schedule is padded to the same chunk count; for exact emphasis, encode chunk i of all entries together
 * and call `applyEmphasis` once on that batch (its mean spans the batch), then join each entry's chunks on the token
 * axis. Most prompts have one sub-prompt with one entry, and then this is simply `chunkPrompt(prompt)`.
 */
export function planConditioning(tokenizer: ChunkTokenizer, prompt: string, options: PlanOptions): ConditioningPlan {
  const parts = options.composable === false ? [{ text: prompt, weight: 1.0 }] : composablePrompt(prompt);
  return {
    subprompts: parts.map(({ text, weight }) => {
      const schedule = promptSchedule(text, options.steps).map(([endStep, stepText]) => ({
        endStep,
        text: stepText,
        chunks: chunkPrompt(tokenizer, stepText, { commaBacktrack: options.commaBacktrack }).chunks,
      }));
      const chunkCount = Math.max(...schedule.map((entry) => entry.chunks.length));
      for (const entry of schedule) {
        while (entry.chunks.length < chunkCount) entry.chunks.push(emptyChunk(tokenizer));
      }
      return { text, weight, schedule };
    }),
  };
}
