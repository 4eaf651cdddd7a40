import { writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { KeyframeError } from '../errors.js';
import { pathKind, unreachablePath } from '../foreign-paths.js';
import { importDeforumSettings, SettingsFieldError, settingsFieldOf, type DeforumImport, type ImportedFile } from '../keyframes/deforum-import.js';
import { readInputFile } from '../keyframes/load.js';
import { formatPath, jsonFieldPosition, validateAnimationText, type Problem, type Segment } from '../keyframes/validate.js';
import { isParseqManifest } from '../keyframes/parseq-import.js';
import { importParseqManifest, writeCarriedParseqManifest } from './import-parseq.js';
import { outputFile } from './output.js';

/** Messages about the settings file point into it (`file:line:column: field: …`); the converted file is never shown. */
type Locate = (field: readonly Segment[]) => string;

function locator(file: string, text: string): Locate {
  const position = jsonFieldPosition(text);
  return (field) => {
    const at = field.length === 0 ? undefined : position(field);
    return at ? `${file}:${at.line}:${at.column}` : file;
  };
}

/** The converted file's problems (and warnings), each at the setting it came from. */
function inSettings(problem: Problem, imported: DeforumImport, locate: Locate): string {
  const field = settingsFieldOf(imported.origins, problem.field ?? []);
  return `${locate(field)}: ${field.length > 0 ? formatPath(field) : problem.path}: ${problem.message}`;
}

/** Whether anything is at `file`; a path through a file (ENOTDIR) or an unreadable folder is nothing usable either. */
const exists = (file: string) => {
  try {
    return statSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
};
/** A NUL character ends a C string: no file has such a name (and Node refuses it). */
const holdsNul = (file: string) => file.includes('\u0000');

/** A file the settings name that this machine cannot give: the full message, and the short why for a list of several. */
interface FileProblem {
  from: string;
  file: string;
  message: string;
  why: string;
}

/**
 * The files the settings name, as this machine sees them: a URL is kept (the render downloads an init image,
 * colour sample or soundtrack); a Windows path, a path that is not here or another machine's path is a problem naming the fix. Each existing
 * relative path is rewritten to be relative to `outDir`, where the keyframe file goes.
 */
function checkFiles(files: readonly ImportedFile[], settingsFile: string, outDir: string): { problems: FileProblem[]; moved: Array<[Segment[], string]> } {
  const problems: FileProblem[] = [];
  const moved: Array<[Segment[], string]> = [];
  const settingsDir = path.dirname(path.resolve(settingsFile));
  const relativeTo = path.basename(settingsFile);
  for (const { field, from, file } of files) {
    const kind = pathKind(file);
    if (kind === 'url') continue;
    if (holdsNul(file)) {
      problems.push({ from, file: JSON.stringify(file), message: `${JSON.stringify(file)} is not a file name (it holds a NUL character)`, why: 'not a file name' });
      continue;
    }
    const resolved = path.resolve(settingsDir, file);
    if (kind !== 'windows' && exists(resolved)) {
      if (kind === 'relative') moved.push([field, path.relative(outDir, resolved) || '.']);
      continue;
    }
    const foreign = kind === 'windows' || (kind === 'absolute' && !exists(path.dirname(resolved)));
    const message = foreign
      ? unreachablePath(file, kind, { field: from, relativeTo })!
      : `${file} does not exist${kind === 'relative' ? ` next to ${relativeTo} (Deforum read relative paths from the webui folder)` : ''}: copy the file next to ${relativeTo} and set ${from} to its name`;
    const why = kind === 'windows' ? 'a Windows path' : foreign ? 'its folder is not here' : 'not found';
    problems.push({ from, file, message, why });
  }
  return { problems, moved };
}

/** All the files in one line: each with where the settings name it and why, then the one fix they share. */
function filesMessage(file: string, problems: readonly FileProblem[], locate: Locate): string {
  if (problems.length === 1) return `${locate([problems[0].from])}: ${problems[0].from}: ${problems[0].message}`;
  const each = problems.map(({ from, file: named, why }) => `${from} ${named} (${[locate([from]).slice(file.length + 1), why].filter(Boolean).join(', ')})`);
  return `${file}: ${problems.length} files it names are not on this machine: ${each.join(', ')}; copy each next to ${path.basename(file)} and set its setting to the file's name`;
}

/** Sets the value at `field` of a plain JSON object. */
function setField(target: Record<string | number, unknown>, field: readonly Segment[], value: unknown): void {
  const parent = field.slice(0, -1).reduce<Record<string | number, unknown>>((node, segment) => node[segment] as Record<string | number, unknown>, target);
  parent[field[field.length - 1]] = value;
}

/** Problems in one line: the first in full, the others after it with their positions. */
function problemsMessage(file: string, lines: readonly string[]): string {
  if (lines.length === 1) return lines[0];
  return `${lines[0]} (and ${lines.length - 1} more: ${lines.slice(1).map((line) => (line.startsWith(`${file}:`) ? line.slice(file.length + 1) : line)).join('; ')})`;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('convert a Deforum settings file (A1111 extension, Forge fork, Colab/local notebook) or a Parseq manifest into a keyframe file, listing what cannot be carried over')
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
      const locate = locator(file, text);
      const name = path.basename(file).replace(/(_settings)?\.(txt|json)$/i, '');
      let imported: DeforumImport;
      try {
        imported = importDeforumSettings(settings as Record<string, unknown>, name);
      } catch (error) {
        if (error instanceof SettingsFieldError) throw new KeyframeError(`${locate(error.at)}: ${error.message}`, error.exitCode, { cause: error });
        if (error instanceof KeyframeError) throw new KeyframeError(`${file}: ${error.message}`, error.exitCode, { cause: error });
        throw error;
      }
      const { problems: fileProblems, moved } = checkFiles(imported.files, file, output ? path.dirname(output) : process.cwd());
      if (fileProblems.length > 0) throw new KeyframeError(filesMessage(file, fileProblems, locate));
      for (const [field, relative] of moved) setField(imported.animation as Record<string, unknown>, field, relative);
      const json = `${JSON.stringify(imported.animation, null, 2)}\n`;
      const { problems, warnings } = validateAnimationText(json);
      if (problems.length > 0) throw new KeyframeError(problemsMessage(file, problems.map((problem) => inSettings(problem, imported, locate))));
      await writeCarriedParseqManifest(file, settings as Record<string, unknown>, name, output);
      if (output) await writeFile(output, json);
      else process.stdout.write(json);
      for (const warning of warnings) process.stderr.write(`deforum: import: warning: ${inSettings(warning, imported, locate)}\n`);
      for (const note of imported.notes) process.stderr.write(`deforum: import: note: ${note}\n`);
      const { notCarried } = imported;
      if (notCarried.length > 0) {
        process.stderr.write(`deforum: import: ${notCarried.length} Deforum setting${notCarried.length === 1 ? '' : 's'} not carried over:\n${notCarried.map((f) => `  ${f}\n`).join('')}`);
      }
    });
}
