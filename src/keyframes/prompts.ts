import { KeyframeError } from '../errors.js';
import { formatNumber, type CompiledExpression } from './expression.js';
import { compileAt, ignoredKeysWarning, KeyframeFieldError, resolveKeyFrame, type ScheduleContext } from './schedule-keys.js';

/** A prompt as the sampler gets it. */
export interface PromptPair {
  positive: string;
  negative: string;
}

/** The prompt of one frame; `blend` only with `promptInterpolation`, between two keys. */
export interface FramePrompt {
  prompt: PromptPair;
  blend?: { next: PromptPair; weight: number };
}

export interface PromptSettings {
  prompts: Record<string, string>;
  positivePrompt: string;
  negativePrompt: string;
  promptInterpolation: boolean;
}

/**
 * Splits a prepared prompt as Deforum's `prepare_prompt` does (docs/deforum.md §b): strip, split on `--neg`, the positive
 * part stripped, every later part joined with no separator and stripped. (Deforum then keeps a leading space on the
 * negative; the tokenizer ignores it, so it is not reproduced.)
 */
export function splitPrompt(text: string): PromptPair {
  const [positive, ...negative] = text.trim().split('--neg');
  return { positive: positive.trim(), negative: negative.join('').trim() };
}

/**
 * Deforum's global merge, `f"{positive} {val} {'' if '--neg' in val else '--neg'} {negative}"` (docs/deforum.md §b), done
 * once: a prompt that already starts with the global positive and ends with the global negative (a prompt copied from
 * a Deforum settings file) is left as it is.
 */
export function mergeGlobalPrompts(prompt: string, positivePrompt: string, negativePrompt: string): string {
  const negative = negativePrompt.replaceAll('--neg', '');
  const pos = positivePrompt.trim();
  const neg = negative.trim();
  if (!pos && !neg) return prompt;
  const hasNeg = prompt.includes('--neg');
  const alreadyMerged = (!pos || prompt.trimStart().startsWith(pos)) && (!neg || (hasNeg && prompt.trimEnd().endsWith(neg)));
  if (alreadyMerged) return prompt;
  return `${positivePrompt} ${prompt} ${hasNeg ? '' : '--neg'} ${negative}`;
}

type PromptPart = string | CompiledExpression;

/** A prompt with its backtick expressions compiled once (Deforum's regex `` `.*?` ``). */
function compileTemplate(text: string, key: string): PromptPart[] {
  const parts: PromptPart[] = [];
  let last = 0;
  for (const match of text.matchAll(/`(.*?)`/g)) {
    parts.push(text.slice(last, match.index));
    // Deforum pastes the frame numbers into the text before numexpr sees it, so they are literals there.
    parts.push(compileAt(match[1], (detail) => {
      throw new KeyframeFieldError('prompts', [key], `backtick expression \`${match[1]}\`: ${detail}`);
    }, { literal: true }));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

/**
 * Evaluates the backticks for one frame, `t` being the frame only where it is a whole identifier (Deforum replaces
 * every letter t, breaking `sqrt(t)`). Numbers print as Python prints numexpr's result: `5`, `0.5`, `1.0`.
 */
function renderTemplate(parts: PromptPart[], scope: { t: number; max_f: number; s: number }, key: string): string {
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const value = part.evaluate(scope);
    if (!Number.isFinite(value)) throw new KeyframeFieldError('prompts', [key], `frame ${scope.t}: \`${part.source}\` is ${value}, not a finite number`);
    text += formatNumber(value, part.type);
  }
  return text;
}

interface PromptKey {
  frame: number;
  key: string;
  template: PromptPart[];
}

/**
 * Per-frame prompts: hard cuts at keys, the first prompt before the first key (docs/deforum.md §b "Frame selection"). The
 * key in force at each frame is found once, walking the sorted keys and the frames together (O(frames + keys));
 * frames outside 0 … frames − 1 take the nearest frame's key, as schedules do.
 */
export function buildPromptSchedule(settings: PromptSettings, context: Omit<ScheduleContext, 'name'>): (frame: number) => FramePrompt {
  const byFrame = new Map<number, PromptKey>();
  const beforeStart: string[] = [];
  for (const [key, prompt] of Object.entries(settings.prompts)) {
    const frame = resolveKeyFrame(key, { ...context, name: 'prompts' }, (detail) => {
      throw new KeyframeFieldError('prompts', [key], detail, true);
    });
    if (frame < 0) {
      beforeStart.push(`'${key}' is frame ${frame}`);
      continue;
    }
    const merged = mergeGlobalPrompts(prompt, settings.positivePrompt, settings.negativePrompt);
    byFrame.set(frame, { frame, key, template: compileTemplate(merged, key) });
  }
  if (beforeStart.length > 0) context.onWarning?.(ignoredKeysWarning('prompts', beforeStart, 'before frame 0'));
  const keys = [...byFrame.values()].sort((a, b) => a.frame - b.frame);
  if (keys.length === 0) throw new KeyframeError('prompts: no prompt at frame 0 or later');
  const keyAt = new Int32Array(context.frames);
  for (let frame = 0, k = 0; frame < context.frames; frame++) {
    while (k + 1 < keys.length && keys[k + 1].frame <= frame) k++;
    keyAt[frame] = k;
  }
  const last = context.frames - 1;
  const promptAt = (key: PromptKey, frame: number) => splitPrompt(renderTemplate(key.template, { t: frame, max_f: last, s: context.seed }, key.key));
  return (frame) => {
    const k = keyAt[Math.min(Math.max(Math.trunc(frame), 0), last)];
    const current = keys[k];
    const prompt = promptAt(current, frame);
    const next = keys[k + 1];
    if (!settings.promptInterpolation || !next || frame <= current.frame) return { prompt };
    // Interpolation mode's weight (docs/deforum.md §b): w_next = (f − cur)/(next − cur).
    return { prompt, blend: { next: promptAt(next, frame), weight: (frame - current.frame) / (next.frame - current.frame) } };
  };
}
