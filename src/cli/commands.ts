import type { Command } from 'commander';

/** Each command module exports one `register(program)`; this list is the CLI. */
export const commands: Array<(program: Command) => void> = [];
