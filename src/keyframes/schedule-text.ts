import { KeyframeError } from '../errors.js';

/**
 * The structure of a Deforum schedule string, `key:(value), key:(value), …`, split into its keyframes with positions.
 *
 * Deforum splits on every `,` and `:` (docs/deforum.md §a "Grammar"), so commas inside `min(a,b)` crash it and a missing
 * comma or a stray colon silently changes the value (quirk table). Here commas and colons only count at bracket depth
 * 0 and outside quotes, and the two silent mis-parses are errors that point at the character.
 */

export interface ScheduleTextPart {
  /** The text as written, trimmed. */
  text: string;
  /** 0-based offset of `text` in the schedule string. */
  offset: number;
}

export interface ScheduleTextKeyframe {
  key: ScheduleTextPart;
  /** The value as written, with its parentheses if it had them. */
  value: ScheduleTextPart;
}

/** At most this much of the schedule string is quoted in a message, around the position: one readable line. */
const quoteWidth = 80;

/** The schedule string as quoted in a message: all of it when short, else the part around `offset` with ellipses. */
function quoted(source: string, offset: number): string {
  if (source.length <= quoteWidth) return JSON.stringify(source);
  const start = Math.min(Math.max(0, offset - quoteWidth / 2), source.length - quoteWidth);
  const end = start + quoteWidth;
  return `${start > 0 ? '…' : ''}${JSON.stringify(source.slice(start, end))}${end < source.length ? '…' : ''}`;
}

/** A schedule string error: `offset` is the 0-based character it points at. */
export class ScheduleSyntaxError extends KeyframeError {
  readonly offset: number;
  readonly detail: string;
  constructor(context: string, source: string, offset: number, detail: string) {
    super(`${context}: position ${offset + 1}: ${detail} in ${quoted(source, offset)}`);
    this.offset = offset;
    this.detail = detail;
  }
}

const operatorStart = /[+\-*/%^<>=!&|?]/;
const quotes = new Set(['"', "'"]);

/** Index of the bracket that closes the one at `open`, skipping quoted text; -1 if none. */
function matchingClose(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quotes.has(c)) {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * Scans from `start` to the first of `stops` at bracket depth 0 outside quotes; returns its index or text.length.
 * Throws on an unbalanced bracket or quote.
 */
function scanTo(text: string, start: number, stops: string, fail: (offset: number, detail: string) => never): number {
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (stops.includes(c)) return i;
    if (quotes.has(c)) {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail(i, `unclosed quote ${c}`);
      i = end;
    } else if (c === '(' || c === '[') {
      const close = matchingClose(text, i);
      if (close < 0) fail(i, `unclosed '${c}'`);
      i = close;
    } else if (c === ')' || c === ']') fail(i, `unexpected '${c}'`);
  }
  return text.length;
}

function part(text: string, start: number, end: number): ScheduleTextPart {
  const raw = text.slice(start, end);
  const lead = raw.length - raw.trimStart().length;
  return { text: raw.trim(), offset: start + lead };
}

/** Splits a schedule string into keyframes, or throws `ScheduleSyntaxError` naming `context` and the position. */
export function splitScheduleText(source: string, context: string): ScheduleTextKeyframe[] {
  const fail = (offset: number, detail: string): never => {
    throw new ScheduleSyntaxError(context, source, offset, detail);
  };
  const isSpace = (i: number) => i < source.length && /\s/.test(source[i]);
  const skipSpace = (i: number) => {
    while (isSpace(i)) i++;
    return i;
  };
  let pos = skipSpace(0);
  if (pos >= source.length) fail(0, 'empty schedule: expected keyframes like 0:(1)');
  const keyframes: ScheduleTextKeyframe[] = [];
  while (pos < source.length) {
    const keyEnd = scanTo(source, pos, ':,', fail);
    const key = part(source, pos, keyEnd);
    if (keyEnd >= source.length || source[keyEnd] === ',') {
      fail(key.text ? key.offset : pos, key.text ? `expected ':' after the frame key '${key.text}'` : 'expected a keyframe like 0:(1)');
    }
    if (!key.text) fail(pos, "expected a frame number before ':'");
    const valueStart = skipSpace(keyEnd + 1);
    let valueEnd: number;
    if (source[valueStart] === '(') {
      const close = matchingClose(source, valueStart);
      if (close < 0) fail(valueStart, "unclosed '('");
      const after = skipSpace(close + 1);
      if (after < source.length && source[after] !== ',' && !operatorStart.test(source[after])) {
        fail(after, `expected ',' between keyframes, found '${source[after]}'`);
      }
      valueEnd = after < source.length && source[after] !== ',' ? scanTo(source, valueStart, ',', fail) : close + 1;
    } else {
      valueEnd = scanTo(source, valueStart, ',', fail);
    }
    const value = part(source, valueStart, valueEnd);
    if (!value.text) fail(valueStart, `expected a value after '${key.text}:'`);
    checkColons(source, value, fail);
    keyframes.push({ key, value });
    pos = skipSpace(valueEnd);
    if (pos < source.length) {
      if (source[pos] !== ',') fail(pos, `expected ',' between keyframes, found '${source[pos]}'`);
      pos = skipSpace(pos + 1);
    }
  }
  return keyframes;
}

/**
 * A colon in a value is either a missing comma (`0:1 5:2`) or Deforum's dropped text (`0:(1:2)` → 1); both are
 * errors. A `?` before it makes it a conditional `c ? a : b`, which is allowed.
 */
function checkColons(source: string, value: ScheduleTextPart, fail: (offset: number, detail: string) => never): void {
  let depth = 0;
  let sawQuestion = false;
  for (let i = 0; i < value.text.length; i++) {
    const c = value.text[i];
    if (quotes.has(c)) {
      i = value.text.indexOf(c, i + 1);
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '?') sawQuestion = true;
    else if (c === ':' && !sawQuestion) {
      if (depth > 0) fail(value.offset + i, "':' is not allowed inside a value (write keyframes as key:(value), separated by ',')");
      const token = /[^\s(),]+\s*$/.exec(value.text.slice(0, i));
      const at = token ? token.index : i;
      fail(value.offset + at, `expected ',' between keyframes, found '${value.text[at]}'`);
    }
  }
}
