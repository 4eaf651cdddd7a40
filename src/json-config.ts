import type { z } from 'zod';
import { ModelError } from './errors.js';
import { InputFileError, readRegularFile } from './input-file.js';
import { plainIssueText } from './issue-text.js';

/** A model's JSON configs are a few kilobytes; a FIFO or device in their place is refused, never read. */
const MAX_CONFIG_BYTES = 16 * 2 ** 20;

/**
 * A model's JSON config file read and checked against its schema; every problem is one ModelError line that starts
 * with `label` (the file as the user should see it) and names the field.
 */
export function readJsonConfig<T extends z.ZodType>(file: string, schema: T, label: string): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(readRegularFile(file, MAX_CONFIG_BYTES).toString('utf8'));
  } catch (error) {
    if (error instanceof InputFileError) throw new ModelError(`${label}: ${error.reason}, expected a JSON config`);
    throw new ModelError(`${label}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = schema.safeParse(value, { error: plainIssueText });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelError(`${label}: field "${issue.path.join('.')}": ${issue.message}`);
  }
  return parsed.data;
}
