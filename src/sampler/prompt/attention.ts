import { KeyframeError } from '../../errors.js';
import { RE_SPACE, wholeWord } from './python-regex.js';

/** A run of prompt text and the multiplier its tokens get (A1111 `parse_prompt_attention` pairs). */
export interface PromptFragment {
  text: string;
  weight: number;
}

/** The weight A1111 gives the `BREAK` marker fragment (docs/sd-pipeline.md §1.3). */
export const BREAK_WEIGHT = -1;

export function isBreak(fragment: PromptFragment): boolean {
  return fragment.text === 'BREAK' && fragment.weight === BREAK_WEIGHT;
}

/** A1111's `re_attention`, alternative for alternative (docs/sd-pipeline.md §1.3). */
const ATTENTION_TOKEN = new RegExp(
  [
    '\\\\\\(', '\\\\\\)', '\\\\\\[', '\\\\\\]', '\\\\\\\\', '\\\\',
    '\\(', '\\[',
    `:[${RE_SPACE}]*([+-]?[.\\d]+)[${RE_SPACE}]*\\)`,
    '\\)', '\\]',
    '[^\\\\()\\[\\]:]+',
    ':',
  ].join('|'),
  'gu',
);

/** A1111's `re_break`: BREAK as a whole word, with the whitespace around it. */
const BREAK_SPLIT = new RegExp(`[${RE_SPACE}]*${wholeWord('BREAK')}[${RE_SPACE}]*`, 'u');

// docs/sd-pipeline.md §1.3: brackets multiply by these, by repeated float multiplication.
const ROUND_BRACKET_MULTIPLIER = 1.1;
const SQUARE_BRACKET_MULTIPLIER = 1 / 1.1;

/**
 * Splits a prompt into text runs and their emphasis weights exactly as A1111's `parse_prompt_attention`:
 * `(x)` ×1.1, `[x]` ×1/1.1, `(x:N)` ×N, `\(` `\)` `\[` `\]` `\\` literal, brackets left open closed at the end,
 * unmatched `)` `]` `:` kept as text, `BREAK` as `{ text: 'BREAK', weight: -1 }`, equal-weight neighbours merged,
 * and `[{ text: '', weight: 1 }]` for an empty prompt. A weight like `(x:1.2.3)`, which A1111 fails on, is an error.
 */
export function parsePromptAttention(prompt: string): PromptFragment[] {
  const fragments: PromptFragment[] = [];
  const roundBrackets: number[] = [];
  const squareBrackets: number[] = [];
  const multiplyFrom = (start: number, multiplier: number) => {
    for (let i = start; i < fragments.length; i++) fragments[i].weight *= multiplier;
  };

  for (const match of prompt.matchAll(ATTENTION_TOKEN)) {
    const [token, weightText] = match;
    if (token.startsWith('\\')) {
      fragments.push({ text: token.slice(1), weight: 1.0 });
    } else if (token === '(') {
      roundBrackets.push(fragments.length);
    } else if (token === '[') {
      squareBrackets.push(fragments.length);
    } else if (weightText !== undefined && roundBrackets.length > 0) {
      multiplyFrom(roundBrackets.pop()!, parseWeight(weightText, prompt, match.index));
    } else if (token === ')' && roundBrackets.length > 0) {
      multiplyFrom(roundBrackets.pop()!, ROUND_BRACKET_MULTIPLIER);
    } else if (token === ']' && squareBrackets.length > 0) {
      multiplyFrom(squareBrackets.pop()!, SQUARE_BRACKET_MULTIPLIER);
    } else {
      token.split(BREAK_SPLIT).forEach((part, i) => {
        if (i > 0) fragments.push({ text: 'BREAK', weight: BREAK_WEIGHT });
        fragments.push({ text: part, weight: 1.0 });
      });
    }
  }
  for (const start of roundBrackets) multiplyFrom(start, ROUND_BRACKET_MULTIPLIER);
  for (const start of squareBrackets) multiplyFrom(start, SQUARE_BRACKET_MULTIPLIER);

  if (fragments.length === 0) return [{ text: '', weight: 1.0 }];
  return mergeEqualWeights(fragments);
}

/** Python's `float()` on `[+-]?[.\d]+`; JS's `Number` accepts the same strings of that shape. */
function parseWeight(text: string, prompt: string, index: number): number {
  const weight = Number(text);
  if (Number.isNaN(weight)) {
    throw new KeyframeError(`prompt "${prompt}": weight "${text}" at character ${index + 1} is not a number; expected (text:1.2)`);
  }
  return weight;
}

/**
 * A weight as A1111 shows it: Python's `repr(round(weight, 4))`, so `((x))` reads 1.21 (not 1.2100000000000002) and
 * a plain token 1.0.
 */
export function formatWeight(weight: number): string {
  if (!Number.isFinite(weight)) return Number.isNaN(weight) ? 'nan' : weight > 0 ? 'inf' : '-inf';
  const rounded = roundTo4(weight);
  // repr switches to exponent notation at 1e16, JS's String at 1e21; both write the shortest round-trip digits
  if (Math.abs(rounded) >= 1e16) return rounded.toExponential();
  const text = String(rounded);
  return Number.isInteger(rounded) ? `${Object.is(rounded, -0) ? '-' : ''}${text}.0` : text;
}

/**
 * Python's `round(x, 4)`: the nearest multiple of 0.0001 to the exact binary value, a tie to the even one (`toFixed`
 * takes the larger). A tie needs x·10⁴ = k + ½, so x = odd/32, and only then is x·10⁴ computed exactly and used.
 */
function roundTo4(x: number): number {
  if (x === 0) return x; // keeps -0, as Python does
  const scaled = x * 1e4;
  if (Number.isInteger(x * 32) && Math.abs(scaled % 1) === 0.5) {
    const down = Math.floor(scaled);
    return (down % 2 === 0 ? down : down + 1) / 1e4;
  }
  return Number(x.toFixed(4));
}

function mergeEqualWeights(fragments: PromptFragment[]): PromptFragment[] {
  const merged: PromptFragment[] = [fragments[0]];
  for (const fragment of fragments.slice(1)) {
    const last = merged[merged.length - 1];
    if (last.weight === fragment.weight) last.text += fragment.text;
    else merged.push(fragment);
  }
  return merged;
}
