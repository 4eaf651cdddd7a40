/**
 * Character classes of Python's regular expressions, as JS class bodies (use inside `[...]` with the `u` flag).
 * A1111 splits prompts with Python's `re` and CLIP's tokenizer cleans text with the `regex` module; JS's `\s` and
 * `\b` differ from both (JS `\s` has U+FEFF; `re`'s has U+001C–U+001F; JS `\b` is ASCII-only), so every
 * regex that must split where A1111 splits is written with these.
 */

/** `\s` of Python's `re` on str: `str.isspace()`. */
export const RE_SPACE = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** `\s` of the `regex` module (Unicode White_Space), which CLIP's `whitespace_clean` uses. */
export const REGEX_SPACE = '\\t-\\r\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** `\w` of Python's `re` on str; equal to `[\p{L}\p{N}_]` on every assigned code point (checked with Python 3.11). */
export const RE_WORD = '\\p{L}\\p{N}_';

/** Python's `\bWORD\b` for a word that starts and ends with word characters. */
export function wholeWord(word: string): string {
  return `(?<![${RE_WORD}])${word}(?![${RE_WORD}])`;
}
