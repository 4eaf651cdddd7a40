import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { KeyframeError } from '../errors.js';
import { importDeforumSettings } from '../keyframes/deforum-import.js';
import { readInputFile } from '../keyframes/load.js';
import { formatProblem, validateAnimationText } from '../keyframes/validate.js';
import { isParseqManifest } from '../keyframes/parseq-import.js';
import { importParseqManifest, writeCarriedParseqManifest } from './import-parseq.js';
import { outputFile } from './output.js';

/** A problem found in the settings file names that file (the converted output is not written). */
function inFile<T>(file: string, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (error instanceof KeyframeError) throw new KeyframeError(`${file}: ${error.message}`, error.exitCode, { cause: error });
    throw error;
  }
}

export function register(program: Command): void {
  program
    .command('import')
    .description('convert a Deforum (A1111 extension) settings file or a Parseq manifest into a keyframe file, listing what cannot be carried over')
    .argument('<settings>', 'Deforum *_settings.txt or .json, or a Parseq manifest (.json with rendered_frames)')
    .option('-o, --output <file>', 'write the keyframe file here instead of stdout')
    .action(async (file: string, options: { output?: string }) => {
      const output = options.output === undefined ? undefined : outputFile(options.output);
      const text = await readInputFile(file);
      let settings: unknown;
      try {
        settings = JSON.parse(text);
      } catch (error) {
        throw new KeyframeError(`${file}: not a Deforum settings file: invalid JSON (${(error as Error).message})`);
      }
      if (!settings || typeof settings !== 'object' || Array.isArray(settings)) throw new KeyframeError(`${file}: not a Deforum settings file: expected a JSON object`);
      if (isParseqManifest(settings)) return importParseqManifest(file, text, output);
      const name = path.basename(file).replace(/(_settings)?\.(txt|json)$/i, '');
      const { animation, notCarried, notes } = inFile(file, () => importDeforumSettings(settings as Record<string, unknown>, name));
      const json = `${JSON.stringify(animation, null, 2)}\n`;
      const { problems } = validateAnimationText(json);
      if (problems.length > 0) throw new KeyframeError(`${file}: the converted file does not validate: ${formatProblem(options.output ?? 'output', problems[0])}`);
      await writeCarriedParseqManifest(file, settings as Record<string, unknown>, name, output);
      if (output) await writeFile(output, json);
      else process.stdout.write(json);
      for (const note of notes) process.stderr.write(`deforum: import: note: ${note}\n`);
      if (notCarried.length > 0) {
        process.stderr.write(`deforum: import: ${notCarried.length} Deforum field${notCarried.length === 1 ? '' : 's'} not carried over:\n${notCarried.map((f) => `  ${f}\n`).join('')}`);
      }
    });
}
