import path from 'node:path';
import type { Command } from 'commander';
import { verifyRender } from '../render/verify.js';
import { deforum } from '../invocation.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('check every frame of a render folder against its journal (exit 1 when a frame is missing or changed)')
    .argument('<dir>', 'render folder (renders/<name>)')
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const report = await verifyRender(path.resolve(dir));
      if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        for (const p of report.problems) process.stdout.write(`frame ${p.frame}: ${p.problem} (${p.file})\n`);
        const state = report.journalled === report.expected ? 'complete' : `unfinished, ${report.journalled} of ${report.expected} frames`;
        process.stdout.write(
          report.problems.length === 0
            ? `${dir}: all ${report.journalled} journalled frames match (${state})\n`
            : `${dir}: ${report.problems.length} problem(s) in ${report.journalled} journalled frames (${state}); '${deforum()} resume ${dir} --verify' re-renders from the first damaged frame\n`,
        );
      }
      if (report.problems.length > 0) process.exitCode = 1;
    });
}
