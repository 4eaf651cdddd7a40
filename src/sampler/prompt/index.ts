/** Prompt text → what the CLIP text encoder receives, as AUTOMATIC1111 builds it (docs/sd-pipeline.md §1–2). */
export { BREAK_WEIGHT, isBreak, parsePromptAttention, type PromptFragment } from './attention.js';
export { CHUNK_LENGTH, CHUNK_TOKENS, COMMA_BACKTRACK, chunkPrompt, emptyChunk, type ChunkTokenizer, type PromptChunk, type TokenizedPrompt } from './chunks.js';
export { ClipTokenizer, loadClipTokenizer, normalizeClipText } from './clip-tokenizer.js';
export { composablePrompt, type SubPrompt } from './composable.js';
export { applyEmphasis } from './emphasis.js';
export { planConditioning, type ConditioningPlan, type PlanOptions, type ScheduledChunks, type SubPromptPlan } from './plan.js';
export { promptSchedule, scheduledAt } from './schedule.js';
