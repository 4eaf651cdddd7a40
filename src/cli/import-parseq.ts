/** The files `deforum import` writes for Parseq: a keyframe file naming a manifest, a settings file's pasted manifest. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyframeError, UsageError } from '../errors.js';
import { parseParseqManifest } from '../keyframes/parseq.js';
import { carriedManifestName, keyframesOfManifest, pastedParseqManifest } from '../keyframes/parseq-import.js';
import { formatProblem, validateAnimationText } from '../keyframes/validate.js';

/**
 * `deforum import manifest.json`: a keyframe file that renders the manifest, naming it by its path from the output's
 * folder (the working directory for stdout).
 */
export async function importParseqManifest(file: string, text: string, output: string | undefined): Promise<void> {
  const manifest = parseParseqManifest(text, file);
  const manifestPath = path.relative(path.dirname(path.resolve(output ?? 'keyframes.json')), path.resolve(file)).split(path.sep).join('/');
  const name = path.basename(file).replace(/\.json$/i, '');
  const { animation, notes } = keyframesOfManifest(manifest, manifestPath, name);
  const json = `${JSON.stringify(animation, null, 2)}\n`;
  const { problems } = validateAnimationText(json);
  if (problems.length > 0) throw new KeyframeError(`${file}: the converted file does not validate: ${formatProblem(output ?? 'output', problems[0])}`);
  if (output) await writeFile(output, json);
  else process.stdout.write(json);
  for (const note of notes) process.stderr.write(`deforum: import: note: ${note}\n`);
}

/**
 * A settings file's pasted `parseq_manifest`, written beside the keyframe file under the name the import gave it
 * (`carriedManifestName`), before the keyframe file that names it.
 */
export async function writeCarriedParseqManifest(file: string, settings: Record<string, unknown>, name: string, output: string | undefined): Promise<void> {
  let text: string | undefined;
  try {
    text = pastedParseqManifest(settings.parseq_manifest);
  } catch (error) {
    if (error instanceof KeyframeError) throw new KeyframeError(`${file}: ${error.message}`, error.exitCode, { cause: error });
    throw error;
  }
  if (text === undefined) return;
  if (!output) throw new UsageError(`${file}: parseq_manifest: the manifest is written to a file beside the keyframe file; give one with -o <file>`);
  await writeFile(path.join(path.dirname(output), carriedManifestName(name)), text.endsWith('\n') ? text : `${text}\n`);
}
