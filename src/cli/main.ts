#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { DeforumError } from '../errors.js';
import { commands } from './commands.js';
import { verbose } from '../invocation.js';
import { packageRoot } from '../models/bundled.js';

function fail(message: string, exitCode: number, error?: unknown): never {
  process.stderr.write(`deforum: ${message.split('\n')[0]}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(exitCode);
}

// `deforum schema | head -1`: the reader has all it wanted and is gone; stop quietly, as `cat` does, for every command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    fail(`cannot write to ${stream === process.stdout ? 'stdout' : 'stderr'} (${error.code ?? error.message})`, 1, error);
  });
}

const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };

const program = new Command('deforum')
  .description('Deforum-style animation from a keyframe JSON file, on Stable Diffusion ONNX models')
  .version(version, '-V, --version', 'print the version')
  .option('--verbose', 'print stack traces with errors, and which devices were skipped')
  .showHelpAfterError(false)
  // `deforum prompt inspect a fox` (unquoted) must not inspect "a" alone; commands inherit this
  .allowExcessArguments(false)
  .exitOverride()
  // commander's own error lines are replaced by ours below; help and usage still reach the terminal
  .configureOutput({ outputError: () => undefined });

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
      process.exit(0);
    }
    // no command (or a command group without its subcommand): the usage was printed on stderr
    if (error.code === 'commander.help') process.exit(2);
    // one line: commander puts its "(Did you mean plan?)" on a line of its own
    fail(error.message.replace(/^error: /, '').replace(/\s*\n\s*\(Did you mean (.+)\)/, ' (did you mean $1)'), 2, error);
  }
  if (error instanceof DeforumError) fail(error.message, error.exitCode, error);
  fail(`internal error: ${error instanceof Error ? error.message : String(error)} (rerun with --verbose for details)`, 1, error);
}
