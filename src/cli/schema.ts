import type { Command } from 'commander';
import { animationJsonSchema } from '../keyframes/schema.js';

/** The JSON Schema text, exactly as committed in schedules/keyframes.schema.json. */
export const animationJsonSchemaText = (): string => `${JSON.stringify(animationJsonSchema(), null, 2)}\n`;

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of keyframe files (for editors: "$schema": "…/keyframes.schema.json")')
    .action(() => {
      process.stdout.write(animationJsonSchemaText());
    });
}
