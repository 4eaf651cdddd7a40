import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { DeforumError, KeyframeError } from '../errors.js';
import { frameValueWarnings, limitProblem } from './frame-value-checks.js';
import { plainIssueText } from '../issue-text.js';
import { didYouMean, unknownNameMessage } from '../name-suggestions.js';
import { buildPromptSchedule } from './prompts.js';
import { resolveSamplerName, unknownSamplerMessage } from '../sampler/sampler-names.js';
import { buildSchedule } from './schedule.js';
import { KeyframeFieldError, resolveKeyFrame, type ScheduleContext } from './schedule-keys.js';
import { ScheduleSyntaxError } from './schedule-text.js';
import { AnimationSchema, defaultSchedules, deforumFieldNames, frameValueLimits, isNumericScheduleName, numericScheduleNames, scheduleIsUsed, schedules2dOnly, type Animation } from './schema.js';
import { buildStringSchedule } from './string-schedule.js';

/** One problem in a keyframe file, located for a human: JSON path and 1-based line:column. */
export interface Problem {
  path: string;
  line: number;
  column: number;
  message: string;
  /** The JSON path as segments, where the problem is about a field (not the JSON syntax). */
  field?: Segment[];
}

export interface Validation {
  /** Present when there are no problems. */
  animation?: Animation;
  problems: Problem[];
  warnings: Problem[];
}

export type Segment = string | number;

/** A key as a path shows it: a long one cut, so an unknown 5 MB key does not become a 5 MB line. */
const shownKey = (key: string): string => (key.length > 60 ? `${key.slice(0, 60)}…` : key);

export const formatPath = (path: readonly Segment[]): string =>
  path.length === 0
    ? '(top level)'
    : path.map((s, i) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `${i ? '.' : ''}${shownKey(s)}` : `[${JSON.stringify(shownKey(s))}]`)).join('');

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
    const field = options.keyOf !== undefined ? [...path, options.keyOf] : [...path];
    return { path: formatPath(field), ...this.at(offset), message, field };
  }
}

/**
 * Where a field is in JSON `text` (its nearest ancestor when the field is not there), 1-based, or undefined when the
 * text is too deep to walk: for messages about a file that was converted into a keyframe file, such as a Deforum
 * settings file.
 */
export function jsonFieldPosition(text: string): (field: readonly Segment[]) => { line: number; column: number } | undefined {
  // too deep to walk: no position rather than a wrong one
  const locate = new Locator(text, tooDeepAt(text) === undefined ? parseTree(text) : undefined);
  return (field) => {
    const node = locate.node(field);
    return node && locate.at(node.offset);
  };
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

/** A Deforum name written at the top level may belong one level down (translation_x → schedules.translationX). */
function nestedSuggestion(key: string): string | undefined {
  for (const group of ['schedules', 'output']) {
    const suggestion = didYouMean(key, allowedKeys(AnimationSchema, [group]));
    if (suggestion) return `${group}.${suggestion}`;
  }
  return undefined;
}

/** Deforum's name for the field (W → width, strength_schedule → schedules.strength), a near spelling, or one level down. */
function suggestField(key: string, path: readonly Segment[], allowed: string[]): string | undefined {
  if (Object.hasOwn(deforumFieldNames, key)) {
    const field = deforumFieldNames[key];
    const here = path.join('.');
    return here && field.startsWith(`${here}.`) ? field.slice(here.length + 1) : field;
  }
  return didYouMean(key, allowed) ?? (path.length === 0 ? nestedSuggestion(key) : undefined);
}

type AnySchema = z.ZodType & { _zod: { def: { type: string; innerType?: AnySchema; in?: AnySchema; shape?: Record<string, AnySchema> } } };

/** The keys an object at `path` of `root` accepts. */
function allowedKeys(root: z.ZodType, path: readonly Segment[]): string[] {
  let schema = root as AnySchema;
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

/** zod's issues as located problems; the wording is `plainIssueText`'s, unknown fields one per key. */
function zodProblems(issues: z.core.$ZodIssue[], locate: Locator, schema: z.ZodType, prefix: readonly Segment[] = []): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = [...prefix, ...(issue.path as Segment[])];
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(schema, path);
      // Inside a union the object's keys are not reachable by path; its message already names the nearest ones.
      if (allowed.length === 0) return [locate.problem(path, issue.message, { keyOf: issue.keys[0] })];
      return issue.keys.map((key) => locate.problem(path, unknownNameMessage('field', key, allowed, suggestField(key, path, allowed)), { keyOf: key }));
    }
    if (issue.code === 'invalid_union') {
      // Report the branch that got furthest (an object with one bad entry), not "none of the types matched".
      const deep = issue.errors.find((branch) => branch.some((i) => i.path.length > 0));
      if (deep) return zodProblems(deep, locate, schema, path);
    }
    return [locate.problem(path, issue.message)];
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
  const check = <T>(path: Segment[], build: (context: ScheduleContext) => T): T | undefined => {
    const name = formatPath(path);
    try {
      return build({ frames: animation.frames, seed, name, onWarning: warn(path) });
    } catch (error) {
      if (!(error instanceof DeforumError)) throw error;
      if (error instanceof KeyframeFieldError) {
        const field: string[] = [...(path as string[]), ...error.field];
        problems.push(error.inKey ? locate.problem(field.slice(0, -1), error.detail, { keyOf: field[field.length - 1] }) : locate.problem(field, error.detail));
      }
      else if (error instanceof ScheduleSyntaxError) problems.push(locate.problem(path, `position ${error.offset + 1}: ${error.detail}`, { offsetInString: error.offset }));
      else problems.push(locate.problem(path, error.message.startsWith(`${name}: `) ? error.message.slice(name.length + 2) : error.message));
      return undefined;
    }
  };
  const withinLimit = (name: keyof Animation['schedules'], values: Float64Array | undefined) => {
    if (isNumericScheduleName(name) && !scheduleIsUsed(name, animation.animationMode, animation.enablePerspectiveFlip)) return;
    const limit = frameValueLimits[name];
    const message = values && limit && limitProblem(values, limit);
    if (message) problems.push(locate.problem(['schedules', name], message));
  };
  const checkValues = (name: keyof Animation['schedules'], values: Float64Array | undefined) => {
    withinLimit(name, values);
    for (const message of values ? frameValueWarnings(name, values) : []) warnings.push(locate.problem(['schedules', name], message));
  };
  for (const name of numericScheduleNames) checkValues(name, check(['schedules', name], (c) => buildSchedule(animation.schedules[name], c))?.values);
  const noiseMultiplier = animation.schedules.noiseMultiplier;
  if (noiseMultiplier !== undefined) checkValues('noiseMultiplier', check(['schedules', 'noiseMultiplier'], (c) => buildSchedule(noiseMultiplier, c))?.values);
  withinLimit('steps', check(['schedules', 'steps'], (c) => buildSchedule(animation.schedules.steps ?? animation.steps, c, { integer: true }))?.values);
  if (animation.seedBehavior === 'schedule') check(['schedules', 'seed'], (c) => buildSchedule(animation.schedules.seed, c, { integer: true }));
  if (!resolveSamplerName(animation.sampler)) problems.push(locate.problem(['sampler'], unknownSamplerMessage(animation.sampler)));
  const samplerSchedule = animation.schedules.sampler;
  if (samplerSchedule !== undefined) {
    check(['schedules', 'sampler'], (c) => buildStringSchedule(samplerSchedule, c, (value, fail) => {
      if (!resolveSamplerName(value)) fail(unknownSamplerMessage(value));
    }));
  }
  // a unit's schedules, as the plan builds them (plan/controlnet-units.ts), so a bad one is found here and not mid-plan
  for (const [index, unit] of animation.controlnet.entries()) {
    if (!unit.enabled) continue;
    for (const field of ['weight', 'guidanceStart', 'guidanceEnd'] as const) check(['controlnet', index, field], (c) => buildSchedule(unit[field], c));
  }
  const promptsBuilt = check(['prompts'], (c) => {
    const prompts = buildPromptSchedule(animation, c);
    for (let frame = 0; frame < animation.frames; frame++) prompts(frame);
    return true;
  });
  if (promptsBuilt) warnings.push(...promptKeysPastTheEnd(animation, seed, locate));
  const unused = animation.animationMode === '3D' ? schedules2dOnly.filter((name) => JSON.stringify(animation.schedules[name]) !== JSON.stringify(defaultSchedules[name])) : [];
  if (unused.length > 0) {
    warnings.push(locate.problem(['schedules', unused[0]], `${unused.join(', ')} ${unused.length === 1 ? 'does' : 'do'} nothing in 3D mode (Deforum ignores zoom, angle and the transform centre in 3D; move the camera with translationZ and rotation3dX/Y/Z)`));
  }
  if (animation.colorCoherence === 'image' && !animation.colorCoherenceImage) {
    problems.push(locate.problem(['colorCoherence'], 'colorCoherence "image" needs colorCoherenceImage (the colour sample)'));
  }
  return problems;
}

/**
 * Prompt keys past the last frame: never shown (or, with promptInterpolation, only blended into earlier frames). One
 * warning for all of them, at the first, however many there are.
 */
function promptKeysPastTheEnd(animation: Animation, seed: number, locate: Locator): Problem[] {
  const last = animation.frames - 1;
  const late = Object.keys(animation.prompts).flatMap((key) => {
    // The keys resolved once already, so this cannot fail.
    const frame = resolveKeyFrame(key, { frames: animation.frames, seed, name: 'prompts' }, (detail) => {
      throw new KeyframeError(detail);
    });
    return frame > last ? [{ key, frame }] : [];
  });
  if (late.length === 0) return [];
  const blended = animation.promptInterpolation;
  if (late.length === 1) {
    const [{ key, frame }] = late;
    return [locate.problem(['prompts'], `key '${key}' is frame ${frame}, past the last frame ${last}; ${blended ? 'it is only blended into the frames before it' : 'its prompt is never used'}`, { keyOf: key })];
  }
  const keys = `${late.slice(0, 3).map(({ key, frame }) => `'${key}' is frame ${frame}`).join(', ')}${late.length > 3 ? ', …' : ''}`;
  return [locate.problem(['prompts'], `${late.length} keys are past the last frame ${last}; ${blended ? 'they are only blended into the frames before them' : 'their prompts are never used'}: ${keys}`)];
}

/**
 * Deeper than a keyframe file ever nests (5 levels) and far inside the stack the recursive JSON tree parser and
 * schema walk need: 100,000 levels overflowed it.
 */
export const maxJsonDepth = 100;

/** The offset of the first bracket nested deeper than `maxJsonDepth`, found without recursion. */
function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > maxJsonDepth) return i;
    } else if (c === '}' || c === ']') depth--;
  }
  return undefined;
}

interface Parsed<T> {
  /** What the schema made of it; there may still be problems it cannot see (a reserved key it dropped). */
  value?: T;
  problems: Problem[];
  locate: Locator;
}

function parseJsonText<S extends z.ZodType>(text: string, schema: S): Parsed<z.output<S>> {
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    const locate = new Locator(text, undefined);
    return { problems: [{ path: 'JSON', ...locate.at(deep), message: `invalid JSON: nested more than ${maxJsonDepth} levels deep` }], locate };
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const locate = new Locator(text, root);
  if (errors.length > 0 || !root) {
    // jsonc-parser often reports a second error where the first one already points; one per place is enough.
    const first = errors.filter((e, i) => errors.findIndex((f) => f.offset === e.offset) === i);
    const problems = first.map((e) => ({ path: 'JSON', ...locate.at(e.offset), message: `invalid JSON: ${jsonErrorText(printParseErrorCode(e.error))}` }));
    return { problems: problems.length ? problems : [{ path: 'JSON', line: 1, column: 1, message: 'invalid JSON: empty file' }], locate };
  }
  const parsed = schema.safeParse(getNodeValue(root), { error: plainIssueText });
  const problems = parsed.success ? [] : zodProblems(parsed.error.issues, locate, schema);
  // A strict object already reports the key as unknown; a record (prompts, structured keyframes) drops it silently.
  const reserved = reservedKeys(root, locate).filter((r) => !problems.some((p) => p.line === r.line && p.column === r.column));
  return { value: parsed.success ? parsed.data : undefined, problems: [...problems, ...reserved].sort(byPosition), locate };
}

/**
 * Every `"__proto__"` key. JSON keeps it as a key like any other, but zod's `z.record` skips it (assigning it would set
 * the result's prototype), so a prompt or keyframe under that key would vanish without a word. The tree is at most
 * `maxJsonDepth` deep, so the walk's recursion is bounded.
 */
function reservedKeys(node: Node, locate: Locator, path: Segment[] = []): Problem[] {
  if (node.type === 'array') return (node.children ?? []).flatMap((child, i) => reservedKeys(child, locate, [...path, i]));
  if (node.type !== 'object') return [];
  return (node.children ?? []).flatMap((property) => {
    const [key, value] = property.children ?? [];
    const name = key?.value as string;
    const here = name === '__proto__' ? [{ path: formatPath([...path, name]), ...locate.at(key.offset), message: `'__proto__' cannot be a key (JavaScript objects reserve it)`, field: [...path, name] }] : [];
    return value ? [...here, ...reservedKeys(value, locate, [...path, name])] : here;
  });
}

/** Validates JSON text against `schema` (e.g. structured keyframes on the command line): problems located and worded as in files. */
export function validateJsonText<S extends z.ZodType>(text: string, schema: S): { value?: z.output<S>; problems: Problem[] } {
  const { value, problems } = parseJsonText(text, schema);
  return problems.length ? { problems } : { value, problems };
}

/** Validates a keyframe file's text: every problem at once, each located. */
export function validateAnimationText(text: string): Validation {
  const { value: animation, problems: shapeProblems, locate } = parseJsonText(text, AnimationSchema);
  if (!animation) return { problems: shapeProblems, warnings: [] };
  const warnings: Problem[] = [];
  const problems = [...shapeProblems, ...semanticProblems(animation, locate, warnings)].sort(byPosition);
  return problems.length ? { problems, warnings } : { animation, problems, warnings };
}

const byPosition = (a: Problem, b: Problem) => a.line - b.line || a.column - b.column;

function jsonErrorText(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().replace(/ expected$/, ' expected');
}
