import type { z } from 'zod';
import { closestNames, didYouMean, unknownNameMessage } from './name-suggestions.js';

/**
 * The project's wording for zod's issues ("width: expected a number at most 2048, got 30000"), given to every parse
 * of user input as its error map. Messages a schema sets itself take precedence over it (zod's error precedence).
 */

const kinds: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a text string',
  boolean: 'true or false',
  object: 'an object {…}',
  record: 'an object {…}',
  array: 'a list […]',
  tuple: 'a list […]',
  null: 'null',
};

/** How a message shows what the user wrote, short whatever its size. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a text of ${value.length} characters` : JSON.stringify(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** An enum's accepted values: all of a short list, the nearest three of a long one (none beside a did-you-mean). */
function oneOf(values: readonly unknown[], input: unknown, suggestion: string | undefined): string {
  const names = values.map((v) => JSON.stringify(v));
  if (names.length === 1) return names[0];
  if (names.length <= 8) return `one of ${names.join(', ')}`;
  const closest = typeof input === 'string' && !suggestion ? closestNames(input, values.map(String)) : [];
  return `one of ${names.length} names${closest.length ? ` (closest: ${closest.map((n) => JSON.stringify(n)).join(', ')})` : ''}`;
}

/** How many of something a value has, for length limits. */
const sizeOf = (input: unknown): string => (typeof input === 'string' || Array.isArray(input) ? String(input.length) : shown(input));

const units: Record<string, string> = { string: 'characters', array: 'entries', set: 'entries', file: 'bytes' };

function bound(issue: z.core.$ZodRawIssue & { origin: string; inclusive?: boolean }, side: 'most' | 'least', limit: unknown): string {
  const { input, origin } = issue;
  const unit = units[origin];
  if (unit) {
    if (side === 'least' && limit === 1 && origin === 'string') return `expected a non-empty text, got ""`;
    return `expected at ${side} ${limit} ${unit}, got ${sizeOf(input)}`;
  }
  const relation = issue.inclusive === false ? (side === 'most' ? 'below' : 'above') : `at ${side}`;
  return `expected a number ${relation} ${String(limit)}, got ${shown(input)}`;
}

export function plainIssueText(issue: z.core.$ZodRawIssue): string | undefined {
  const { input } = issue;
  switch (issue.code) {
    case 'invalid_type': {
      const kind = kinds[issue.expected] ?? issue.expected;
      return input === undefined ? `missing; expected ${kind}` : `expected ${kind}, got ${shown(input)}`;
    }
    case 'too_big':
      return bound(issue, 'most', issue.maximum);
    case 'too_small':
      return bound(issue, 'least', issue.minimum);
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}, got ${shown(input)}`;
    case 'invalid_value': {
      const suggestion = typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : undefined;
      return `expected ${oneOf(issue.values, input, suggestion)}, got ${shown(input)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}`;
    }
    case 'unrecognized_keys': {
      const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape ?? {};
      return issue.keys.map((key) => unknownNameMessage('field', key, Object.keys(shape))).join('; ');
    }
    case 'invalid_union': {
      // A union of plain types ("a number or a text string"); unions of shapes set their own message in the schema.
      const expected = issue.errors.flatMap((branch) => (branch.length === 1 && branch[0].code === 'invalid_type' && branch[0].path.length === 0 ? [kinds[branch[0].expected] ?? branch[0].expected] : []));
      return expected.length === issue.errors.length && expected.length > 0 ? `expected ${[...new Set(expected)].join(' or ')}, got ${shown(input)}` : `got ${shown(input)}, which is none of the accepted forms`;
    }
    case 'invalid_format':
      return `expected the ${issue.format} format, got ${shown(input)}`;
    default:
      return undefined;
  }
}
