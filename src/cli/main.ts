#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { DeforumError } from '../errors.js';
import { commands } from './commands.js';

const verbose = process.argv.includes('--verbose');

function fail(message: string, exitCode: number, error?: unknown): never {
  process.stderr.write(`deforum: ${message.split('\n')[0]}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(exitCode);
}

const program = new Command('deforum')
  .description('Deforum-style animation from a keyframe JSON file, on Stable Diffusion ONNX models')
  .option('--verbose', 'print stack traces with errors')
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ writeErr: () => undefined });

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
      process.exit(0);
    }
    fail(error.message.replace(/^error: /, ''), 2, error);
  }
  if (error instanceof DeforumError) fail(error.message, error.exitCode, error);
  fail(`internal error: ${error instanceof Error ? error.message : String(error)} (rerun with --verbose for details)`, 1, error);
}
