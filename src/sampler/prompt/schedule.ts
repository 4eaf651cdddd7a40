import { RE_SPACE } from './python-regex.js';

/**
 * Prompt editing `[from:to:when]` and alternation `[a|b]` as A1111's `get_learned_conditioning_prompt_schedules`
 * (docs/sd-pipeline.md §1.1). A1111 parses with a Lark grammar; this is a recursive-descent parser of the same grammar:
 *
 *   start:       (prompt | stray `[ ] ( ) :`)*
 *   prompt:      (emphasized | scheduled | alternate | plain)*
 *   emphasized:  `(` prompt `)` | `(` prompt `:` prompt `)` | `[` prompt `]`   (kept verbatim)
 *   scheduled:   `[` [prompt `:`] prompt `:` [WHITESPACE] NUMBER [WHITESPACE] `]`
 *   alternate:   `[` prompt (`|` [prompt])+ `]`
 *   plain:       ([^\\[]():|] | \\ any but newline)+
 *
 * Inside a prompt every construct parses in at most one way, so parsing is deterministic; at the top level a bracket
 * that does not open a construct is stray text, and where both readings exist the construct wins, as in A1111's
 * doctests (`a [[[b]]:2]`). A prompt that does not parse (a `|` outside brackets, a trailing `\`) is used verbatim.
 * Where a top-level construct touches stray brackets (`[a:3]]`), Lark's choice depends on its internal order and even
 * on Python's string hash seed, so A1111 itself differs between runs; on 3893 fuzzed prompts whose A1111 result was
 * the same under three hash seeds, 5 such prompts differ from this parser, and none without stray brackets.
 */
type Part = string | Scheduled | Alternate;

interface Scheduled {
  kind: 'scheduled';
  /** `null` for `[to:when]`: the text is empty until `when`. */
  before: Part[] | null;
  after: Part[];
  /** The NUMBER as written: a `.` makes it a fraction of the steps. */
  when: string;
}

interface Alternate {
  kind: 'alternate';
  options: Part[][];
}

interface Parsed {
  parts: Part[];
  end: number;
}

const PLAIN = /(?:[^\\[\]():|]|\\[^\n])+/uy;
const WHITESPACE = new RegExp(`[${RE_SPACE}]+`, 'uy');
/** Lark's `common.SIGNED_NUMBER`: FLOAT tried before INT, as its compiled regex does. */
const NUMBER = /[+-]?(?:\d+[eE][+-]?\d+|(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+)/uy;
const STRAY = '[]():';
/** Brackets nested deeper than this make the prompt unparsed (verbatim); A1111 itself fails at Python's recursion limit. */
const MAX_NESTING = 100;

class NestingTooDeep extends Error {}

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

class ScheduleParser {
  private depth = 0;

  constructor(private readonly text: string) {}

  parse(): Part[] | null {
    try {
      return this.start();
    } catch (error) {
      if (error instanceof NestingTooDeep) return null;
      throw error;
    }
  }

  private start(): Part[] | null {
    const parts: Part[] = [];
    let at = 0;
    while (at < this.text.length) {
      const item = this.item(at);
      if (item) {
        parts.push(...item.parts);
        at = item.end;
      } else if (STRAY.includes(this.text[at])) {
        parts.push(this.text[at++]);
      } else {
        return null;
      }
    }
    return parts;
  }

  /** A prompt: as many items as follow; it may be empty. */
  private prompt(start: number): Parsed {
    if (++this.depth > MAX_NESTING) throw new NestingTooDeep();
    const parts: Part[] = [];
    let at = start;
    for (let item = this.item(at); item; item = this.item(at)) {
      parts.push(...item.parts);
      at = item.end;
    }
    this.depth--;
    return { parts, end: at };
  }

  private item(at: number): Parsed | null {
    const char = this.text[at];
    if (char === '(') return this.round(at);
    if (char === '[') return this.square(at);
    const plain = matchAt(PLAIN, this.text, at);
    return plain === undefined ? null : { parts: [plain], end: at + plain.length };
  }

  private round(open: number): Parsed | null {
    const first = this.prompt(open + 1);
    if (this.text[first.end] === ')') return { parts: ['(', ...first.parts, ')'], end: first.end + 1 };
    if (this.text[first.end] !== ':') return null;
    const second = this.prompt(first.end + 1);
    if (this.text[second.end] !== ')') return null;
    return { parts: ['(', ...first.parts, ':', ...second.parts, ')'], end: second.end + 1 };
  }

  private square(open: number): Parsed | null {
    const first = this.prompt(open + 1);
    const next = this.text[first.end];
    if (next === ']') return { parts: ['[', ...first.parts, ']'], end: first.end + 1 };
    if (next === '|') return this.alternate(first);
    if (next !== ':') return null;
    const to = this.when(first.end + 1);
    if (to) return { parts: [{ kind: 'scheduled', before: null, after: first.parts, when: to.when }], end: to.end };
    const after = this.prompt(first.end + 1);
    if (this.text[after.end] !== ':') return null;
    const fromTo = this.when(after.end + 1);
    if (!fromTo) return null;
    return { parts: [{ kind: 'scheduled', before: first.parts, after: after.parts, when: fromTo.when }], end: fromTo.end };
  }

  /** `[WHITESPACE] NUMBER [WHITESPACE] ]` of a scheduled prompt. */
  private when(start: number): { when: string; end: number } | null {
    let at = start + (matchAt(WHITESPACE, this.text, start)?.length ?? 0);
    const when = matchAt(NUMBER, this.text, at);
    if (when === undefined) return null;
    at += when.length;
    at += matchAt(WHITESPACE, this.text, at)?.length ?? 0;
    return this.text[at] === ']' ? { when, end: at + 1 } : null;
  }

  private alternate(first: Parsed): Parsed | null {
    const options = [first.parts];
    let at = first.end;
    while (this.text[at] === '|') {
      const option = this.prompt(at + 1);
      options.push(option.parts);
      at = option.end;
    }
    return this.text[at] === ']' ? { parts: [{ kind: 'alternate', options }], end: at + 1 } : null;
  }
}

/** The step at which `[from:to:when]` switches: a NUMBER with `.` is a fraction of the steps, else a step. */
function switchStep(when: string, steps: number): number {
  const value = Number(when);
  return Math.min(steps, Math.trunc(when.includes('.') ? value * steps : value));
}

function boundaries(parts: Part[], steps: number, into: Set<number>): void {
  for (const part of parts) {
    if (typeof part === 'string') continue;
    if (part.kind === 'scheduled') {
      const step = switchStep(part.when, steps);
      if (step >= 1) into.add(step);
      boundaries(part.before ?? [], steps, into);
      boundaries(part.after, steps, into);
    } else {
      for (let step = 1; step <= steps; step++) into.add(step);
      for (const option of part.options) boundaries(option, steps, into);
    }
  }
}

function textAt(parts: Part[], step: number, steps: number): string {
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      if (part.kind === 'scheduled') return textAt((step <= switchStep(part.when, steps) ? part.before : part.after) ?? [], step, steps);
      const { options } = part;
      return textAt(options[(((step - 1) % options.length) + options.length) % options.length], step, steps);
    })
    .join('');
}

/**
 * The prompt text for each run of sampling steps: `[endStep, text]` pairs, `text` used while the step counter is
 * ≤ `endStep` (see `scheduledAt`). `"a [b:3]"` at 10 steps → `[[3, 'a '], [10, 'a b']]`; alternation makes every step
 * a boundary. `steps` is what A1111 passes: the sampler's step count (twice that for second-order samplers, whose
 * counter advances per denoiser call), and for img2img the full step count, although the shortened run's counter
 * starts again at 0 (docs/sd-pipeline.md §1.1).
 */
export function promptSchedule(prompt: string, steps: number): Array<[number, string]> {
  const parts = new ScheduleParser(prompt).parse();
  if (!parts) return [[steps, prompt]];
  const ends = new Set([steps]);
  boundaries(parts, steps, ends);
  return [...ends].sort((a, b) => a - b).map((end) => [end, textAt(parts, end, steps)]);
}

/**
 * The entry in effect at `step` (A1111 `reconstruct_cond_batch`): the first whose end step is ≥ `step`, and the first
 * entry when `step` is past them all.
 */
export function scheduledAt<T extends { endStep: number }>(schedule: readonly T[], step: number): T {
  return schedule.find((entry) => step <= entry.endStep) ?? schedule[0];
}
