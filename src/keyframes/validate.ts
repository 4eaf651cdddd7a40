import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { DeforumError } from '../errors.js';
import { buildPromptSchedule } from './prompts.js';
import { resolveSamplerName, unknownSamplerMessage } from './sampler-names.js';
import { buildSchedule } from './schedule.js';
import { KeyframeFieldError, type ScheduleContext } from './schedule-keys.js';
import { ScheduleSyntaxError } from './schedule-text.js';
import { AnimationSchema, numericScheduleNames, type Animation } from './schema.js';
import { buildStringSchedule } from './string-schedule.js';

/** One problem in a keyframe file, located for a human: JSON path and 1-based line:column. */
export interface Problem {
  path: string;
  line: number;
  column: number;
  message: string;
}

export interface Validation {
  /** Present when there are no problems. */
  animation?: Animation;
  problems: Problem[];
  warnings: Problem[];
}

type Segment = string | number;

export const formatPath = (path: readonly Segment[]): string =>
  path.length === 0 ? '(top level)' : path.map((s, i) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `${i ? '.' : ''}${s}` : `[${JSON.stringify(s)}]`)).join('');

/** "file:line:col: path: message", the form every tool prints. */
export const formatProblem = (file: string, p: Problem): string => `${file}:${p.line}:${p.column}: ${p.path}: ${p.message}`;

class Locator {
  private readonly lineStarts: number[] = [0];
  constructor(private readonly text: string, readonly root: Node | undefined) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }

  /** The node at `path`, or its nearest existing ancestor. */
  node(path: readonly Segment[]): Node | undefined {
    if (!this.root) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = findNodeAtLocation(this.root, path.slice(0, n) as Segment[]);
      if (node) return node;
    }
    return this.root;
  }

  problem(path: readonly Segment[], message: string, options: { keyOf?: string; offsetInString?: number } = {}): Problem {
    let node = this.node(path);
    if (options.keyOf !== undefined && node?.type === 'object') {
      const property = node.children?.find((p) => p.children?.[0]?.value === options.keyOf);
      node = property?.children?.[0] ?? node;
    }
    let offset = node?.offset ?? 0;
    if (options.offsetInString !== undefined && node?.type === 'string') offset += 1 + rawOffset(this.text.slice(node.offset + 1, node.offset + node.length), options.offsetInString);
    return { path: formatPath(options.keyOf !== undefined ? [...path, options.keyOf] : path), ...this.at(offset), message };
  }
}

/** Maps an offset in a decoded JSON string to its offset in the raw (escaped) text. */
function rawOffset(raw: string, decodedOffset: number): number {
  let decoded = 0;
  let i = 0;
  while (i < raw.length && decoded < decodedOffset) {
    i += raw[i] === '\\' ? (raw[i + 1] === 'u' ? 6 : 2) : 1;
    decoded++;
  }
  return i;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

const camel = (s: string) => s.toLowerCase().replace(/[_\s-]+(\w)/g, (_, c: string) => c.toUpperCase());

/** The closest allowed key, matching Deforum's snake_case spellings too (`translation_x` → translationX). */
export function didYouMean(key: string, allowed: string[]): string | undefined {
  const norm = (s: string) => camel(s).toLowerCase();
  const exact = allowed.find((a) => norm(a) === norm(key));
  if (exact) return exact;
  const prefix = allowed.find((a) => Math.min(a.length, key.length) >= 3 && (norm(a).startsWith(norm(key)) || norm(key).startsWith(norm(a))));
  if (prefix) return prefix;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = levenshtein(norm(key), norm(candidate));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** A Deforum name written at the top level may belong one level down (translation_x → schedules.translationX). */
function nestedSuggestion(key: string): string | undefined {
  for (const group of ['schedules', 'output']) {
    const suggestion = didYouMean(key, allowedKeys([group]));
    if (suggestion) return `${group}.${suggestion}`;
  }
  return undefined;
}

type AnySchema = z.ZodType & { _zod: { def: { type: string; innerType?: AnySchema; in?: AnySchema; shape?: Record<string, AnySchema> } } };

/** The keys an object at `path` of the animation schema accepts. */
function allowedKeys(path: readonly Segment[]): string[] {
  let schema = AnimationSchema as unknown as AnySchema;
  const unwrap = () => {
    for (let next = schema._zod.def.innerType ?? schema._zod.def.in; next; next = schema._zod.def.innerType ?? schema._zod.def.in) schema = next;
  };
  unwrap();
  for (const segment of path) {
    const shape = schema._zod.def.shape;
    if (!shape || typeof segment !== 'string' || !shape[segment]) return [];
    schema = shape[segment];
    unwrap();
  }
  return Object.keys(schema._zod.def.shape ?? {});
}

function zodProblems(issues: z.core.$ZodIssue[], locate: Locator, prefix: readonly Segment[] = []): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = [...prefix, ...(issue.path as Segment[])];
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(path);
      return issue.keys.map((key) => {
        const suggestion = didYouMean(key, allowed) ?? (path.length === 0 ? nestedSuggestion(key) : undefined);
        return locate.problem(path, `unknown field '${key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; expected one of: ${allowed.join(', ')}`, { keyOf: key });
      });
    }
    if (issue.code === 'invalid_union') {
      // Report the branch that got furthest (an object with one bad entry), not "none of the types matched".
      const deep = issue.errors.find((branch) => branch.some((i) => i.path.length > 0));
      if (deep) return zodProblems(deep, locate, path);
    }
    if (issue.code === 'invalid_value') {
      const written = locate.node(path)?.value;
      const suggestion = typeof written === 'string' ? didYouMean(written, issue.values.map(String)) : undefined;
      if (suggestion) return [locate.problem(path, `${issue.message} (did you mean "${suggestion}"?)`)];
    }
    return [locate.problem(path, issue.message.replace(/^Invalid input: /, ''))];
  });
}

/**
 * Checks what the schema cannot: schedule strings and expressions, keys, prompts, sampler names, by building each on
 * its own so every broken one is reported.
 */
function semanticProblems(animation: Animation, locate: Locator, warnings: Problem[]): Problem[] {
  const problems: Problem[] = [];
  const seed = Math.max(animation.seed, 0);
  const warn = (path: Segment[]) => (message: string) => warnings.push(locate.problem(path, message.replace(/^[\w.[\]"]+: /, '')));
  const check = (path: Segment[], build: (context: ScheduleContext) => void) => {
    const name = formatPath(path);
    try {
      build({ frames: animation.frames, seed, name, onWarning: warn(path) });
    } catch (error) {
      if (!(error instanceof DeforumError)) throw error;
      if (error instanceof KeyframeFieldError) {
        const field: string[] = [...(path as string[]), ...error.field];
        problems.push(error.inKey ? locate.problem(field.slice(0, -1), error.detail, { keyOf: field[field.length - 1] }) : locate.problem(field, error.detail));
      }
      else if (error instanceof ScheduleSyntaxError) problems.push(locate.problem(path, `position ${error.offset + 1}: ${error.detail}`, { offsetInString: error.offset }));
      else problems.push(locate.problem(path, error.message.startsWith(`${name}: `) ? error.message.slice(name.length + 2) : error.message));
    }
  };
  for (const name of numericScheduleNames) check(['schedules', name], (c) => buildSchedule(animation.schedules[name], c));
  check(['schedules', 'steps'], (c) => buildSchedule(animation.schedules.steps ?? animation.steps, c, { integer: true }));
  if (animation.seedBehavior === 'schedule') check(['schedules', 'seed'], (c) => buildSchedule(animation.schedules.seed, c, { integer: true }));
  if (!resolveSamplerName(animation.sampler)) problems.push(locate.problem(['sampler'], unknownSamplerMessage(animation.sampler)));
  const samplerSchedule = animation.schedules.sampler;
  if (samplerSchedule !== undefined) {
    check(['schedules', 'sampler'], (c) => buildStringSchedule(samplerSchedule, c, (value, fail) => {
      if (!resolveSamplerName(value)) fail(unknownSamplerMessage(value));
    }));
  }
  check(['prompts'], (c) => {
    const prompts = buildPromptSchedule(animation, c);
    for (let frame = 0; frame < animation.frames; frame++) prompts(frame);
  });
  if (animation.colorCoherence === 'image' && !animation.colorCoherenceImage) {
    problems.push(locate.problem(['colorCoherence'], 'colorCoherence "image" needs colorCoherenceImage (the colour sample)'));
  }
  return problems;
}

/** Validates a keyframe file's text: every problem at once, each located. */
export function validateAnimationText(text: string): Validation {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const locate = new Locator(text, root);
  if (errors.length > 0 || !root) {
    // jsonc-parser often reports a second error where the first one already points; one per place is enough.
    const first = errors.filter((e, i) => errors.findIndex((f) => f.offset === e.offset) === i);
    const problems = first.map((e) => ({ path: 'JSON', ...locate.at(e.offset), message: `invalid JSON: ${jsonErrorText(printParseErrorCode(e.error))}` }));
    return { problems: problems.length ? problems : [{ path: 'JSON', line: 1, column: 1, message: 'invalid JSON: empty file' }], warnings: [] };
  }
  const parsed = AnimationSchema.safeParse(getNodeValue(root));
  if (!parsed.success) return { problems: zodProblems(parsed.error.issues, locate).sort(byPosition), warnings: [] };
  const warnings: Problem[] = [];
  const problems = semanticProblems(parsed.data, locate, warnings).sort(byPosition);
  return problems.length ? { problems, warnings } : { animation: parsed.data, problems, warnings };
}

const byPosition = (a: Problem, b: Problem) => a.line - b.line || a.column - b.column;

function jsonErrorText(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().replace(/ expected$/, ' expected');
}
