import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { animationJsonSchemaText } from '../../src/cli/schema.js';
import { repoRoot, runCli } from '../helpers.js';

describe('deforum schema', () => {
  it('the committed schedules/keyframes.schema.json is the schema generated from the zod schema', () => {
    expect(readFileSync(path.join(repoRoot, 'schedules/keyframes.schema.json'), 'utf8')).toBe(animationJsonSchemaText());
  });

  it('prints it on stdout', () => {
    const r = runCli(['schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(animationJsonSchemaText());
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.frames.default).toBe(120);
    expect(schema.properties.schedules.properties.zoom.default).toBe('0: (1.0025+0.002*sin(1.25*3.14*t/30))');
    expect(schema.required).toEqual(['prompts']);
    expect(schema.additionalProperties).toBe(false);
  });
});
