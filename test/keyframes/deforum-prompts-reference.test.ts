import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPromptSchedule } from '../../src/keyframes/prompts.js';

interface Case {
  prompt: string;
  positivePrompt: string;
  negativePrompt: string;
  frames: number;
  frame: number;
  positive: string;
  negative: string;
}
const { cases } = JSON.parse(readFileSync(new URL('./deforum-prompts-reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe("prompts agree with Deforum's prompt code on 60 generated prompts", () => {
  it('same positive, same negative (Deforum keeps one leading space on the negative; it is trimmed here)', () => {
    for (const c of cases) {
      const schedule = buildPromptSchedule({ prompts: { 0: c.prompt }, positivePrompt: c.positivePrompt, negativePrompt: c.negativePrompt, promptInterpolation: false }, { frames: c.frames, seed: 5 });
      expect({ case: c.prompt, ...schedule(c.frame).prompt }).toEqual({ case: c.prompt, positive: c.positive, negative: c.negative.replace(/^ /, '') });
    }
  });
});
