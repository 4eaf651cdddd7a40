import { RE_SPACE, wholeWord } from './python-regex.js';

/** One sub-prompt of a composable prompt (`a cat :1.2 AND a dog`) and its weight in the guidance sum. */
export interface SubPrompt {
  text: string;
  weight: number;
}

/** A1111's `re_AND` (docs/sd-pipeline.md §1.2): `AND` as a whole, upper-case word. */
const AND_SPLIT = new RegExp(wholeWord('AND'), 'u');
/** A1111's `re_weight`: a trailing `:number` (surrounding whitespace allowed) is the sub-prompt's weight. */
const TRAILING_WEIGHT = new RegExp(`^([^]*?)(?:[${RE_SPACE}]*:[${RE_SPACE}]*([-+]?(?:\\d+\\.?|\\d*\\.\\d+)))?[${RE_SPACE}]*$`, 'u');

/**
 * Splits a prompt at `AND` into sub-prompts with their weights, as A1111's `get_multicond_prompt_list`: the text keeps
 * its leading whitespace, loses trailing whitespace and the `:weight`; the weight defaults to 1. Each sub-prompt is
 * encoded alone and adds `weight·cfg·(cond − uncond)` to the guidance (docs/sd-pipeline.md §1.2).
 */
export function composablePrompt(prompt: string): SubPrompt[] {
  return prompt.split(AND_SPLIT).map((part) => {
    const [, text, weight] = TRAILING_WEIGHT.exec(part)!;
    return { text, weight: weight === undefined ? 1.0 : Number(weight) };
  });
}
