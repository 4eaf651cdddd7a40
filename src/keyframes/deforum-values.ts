/**
 * Reading a Deforum settings file's values, which are a stranger's JSON: text, numbers, paths and schedules as Deforum
 * reads them, and any value as one short line for a message.
 */

export const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** Only a number or a numeric string: `Number()` of a deeply nested array would recurse through its `join`. */
export const number = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

/** A schedule as Deforum reads it: a number is `0:(n)` (deprecation_utils.py). */
export const schedule = (v: unknown): string | undefined => (typeof v === 'number' ? `0:(${v})` : typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** `clean_gradio_path_strings`: a path pasted with Windows' "Copy as path" keeps its quotes. */
export const cleanPath = (value: string): string => (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);

/** Text cut to `max` characters, with an ellipsis. */
export const cut = (line: string, max = 80): string => (line.length > max ? `${line.slice(0, max - 1)}…` : line);

/**
 * A value as a message shows it: one short line whatever its size or depth (a value nested 100,000 deep would
 * overflow JSON.stringify's recursion).
 */
export function preview(value: unknown, max = 80): string {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? '' : 's'}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.keys(value).length;
    return `{${fields} field${fields === 1 ? '' : 's'}}`;
  }
  return cut(JSON.stringify(value) ?? String(value), max);
}
