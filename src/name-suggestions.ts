/** Suggestions for a mistyped name: the nearest accepted names by edit distance, Deforum's snake_case matched too. */

/** Names here are short; a longer "name" is not a typo of one, and comparing it would cost its length times theirs. */
const longestComparedName = 64;

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
const norm = (s: string) => camel(s).toLowerCase();

/** The closest allowed name, matching Deforum's snake_case spellings too (`translation_x` → translationX). */
export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
  if (key.length > longestComparedName) return undefined;
  const exact = allowed.find((a) => norm(a) === norm(key));
  if (exact) return exact;
  const prefix = allowed.find((a) => Math.min(a.length, key.length) >= 3 && (norm(a).startsWith(norm(key)) || norm(key).startsWith(norm(a))));
  if (prefix) return prefix;
  const [best] = closestNames(key, allowed, 1);
  return best !== undefined && levenshtein(norm(key), norm(best)) <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Up to `count` allowed names nearest to `word`, nearest first. */
export function closestNames(word: string, allowed: readonly string[], count = 3): string[] {
  if (word.length > longestComparedName) return [];
  const w = norm(word);
  return allowed
    .map((name) => ({ name, distance: levenshtein(w, norm(name)) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, count)
    .map((c) => c.name);
}

/** A name as a message quotes it: long ones are cut, so a 5 MB key does not become a 5 MB line. */
export const quotedName = (name: string): string => `'${name.length > 40 ? `${name.slice(0, 40)}…` : name}'`;

/** "unknown field 'W' (did you mean 'width'?)", else the three nearest names: never the whole list (`kind`: field, function). */
export function unknownNameMessage(kind: string, key: string, allowed: readonly string[], suggestion = didYouMean(key, allowed)): string {
  if (suggestion) return `unknown ${kind} ${quotedName(key)} (did you mean '${suggestion}'?)`;
  const closest = closestNames(key, allowed);
  return `unknown ${kind} ${quotedName(key)}${closest.length ? `; the closest accepted: ${closest.map(quotedName).join(', ')}` : ''}`;
}
