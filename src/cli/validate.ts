import path from 'node:path';
import type { Command } from 'commander';
import { KeyframeError } from '../errors.js';
import { readInputFile } from '../keyframes/load.js';
import { formatProblem, validateAnimationText } from '../keyframes/validate.js';
import { checkInputFiles, formatInputFileProblem } from '../render/input-files.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a keyframe file and list every problem with its JSON path and line:column')
    .argument('<file>', 'keyframe JSON file')
    .action(async (file: string) => {
      const { animation, problems, warnings } = validateAnimationText(await readInputFile(file));
      for (const warning of warnings) process.stdout.write(`${formatProblem(file, warning)} (warning)\n`);
      if (!animation) {
        for (const problem of problems) process.stdout.write(`${formatProblem(file, problem)}\n`);
        throw new KeyframeError(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}${problems.length === 1 ? `: ${formatProblem(file, problems[0])}` : ' (listed above)'}`);
      }
      // the files it names, as render's preflight checks them
      const fileProblems = (await checkInputFiles(animation, path.dirname(path.resolve(file)))).map((problem) => formatInputFileProblem(file, problem));
      for (const line of fileProblems) process.stdout.write(`${line}\n`);
      if (fileProblems.length > 0) throw new KeyframeError(fileProblems.length === 1 ? fileProblems[0] : `${file}: ${fileProblems.length} problems with the files it names (listed above)`);
      process.stdout.write(`${file}: ok (${animation.frames} frames, ${animation.width}x${animation.height}, ${Object.keys(animation.prompts).length} prompt${Object.keys(animation.prompts).length === 1 ? '' : 's'})\n`);
    });
}
