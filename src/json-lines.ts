/**
 * Long text output (a plan of a million frames) produced as lines and handed on in chunks, so memory stays bounded:
 * one JSON.stringify of such a plan is a string of about a gigabyte, past V8's limit.
 */

/** A JSON array of many values, one value per line: `[`, `v0,`, …, `vN`, `]`. */
export function* jsonArrayLines<T>(values: Iterable<T>): Generator<string> {
  yield '[';
  let previous: string | undefined;
  for (const value of values) {
    if (previous !== undefined) yield `${previous},`;
    previous = JSON.stringify(value);
  }
  if (previous !== undefined) yield previous;
  yield ']';
}

/** Text is handed on in pieces of about this many characters: few writes, little memory. */
const CHUNK_CHARS = 1 << 16;

/** The lines, each followed by a newline, joined into chunks of about 64 K characters. */
export function* lineChunks(lines: Iterable<string>): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
