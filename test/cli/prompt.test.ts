import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

interface Inspection {
  fragments: Array<{ text: string; weight: number }>;
  chunks: Array<Array<{ id: number; weight: number }>>;
}

function inspect(prompt: string, ...flags: string[]): Inspection {
  const r = runCli(['prompt', 'inspect', prompt, '--json', ...flags]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Inspection;
}

describe('deforum prompt inspect', () => {
  it('prints the fragments and 77-token chunks the text encoder receives', () => {
    const { fragments, chunks } = inspect('a (cat:1.5), ((((sky))))');
    expect(fragments).toEqual([
      { text: 'a ', weight: 1 },
      { text: 'cat', weight: 1.5 },
      { text: ', ', weight: 1 },
      { text: 'sky', weight: 1.4641000000000006 },
    ]);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toHaveLength(77);
    expect(chunks[0].slice(0, 6)).toEqual([
      { id: 49406, weight: 1 },
      { id: 320, weight: 1 },
      { id: 2368, weight: 1.5 },
      { id: 267, weight: 1 },
      { id: 2390, weight: 1.4641000000000006 },
      { id: 49407, weight: 1 },
    ]);
    expect(chunks[0].slice(5).every((token) => token.id === 49407 && token.weight === 1)).toBe(true);
  });

  it('accepts an empty prompt: one chunk of BOS and 76 EOS', () => {
    const { fragments, chunks } = inspect('');
    expect(fragments).toEqual([{ text: '', weight: 1 }]);
    expect(chunks.map((chunk) => chunk.map((token) => token.id))).toEqual([[49406, ...Array(76).fill(49407)]]);
  });

  it('splits a long prompt into chunks and starts one at BREAK', () => {
    expect(inspect(Array(210).fill('cat').join(' ')).chunks).toHaveLength(3);
    const { fragments, chunks } = inspect('cat BREAK dog');
    expect(fragments).toContainEqual({ text: 'BREAK', weight: -1 });
    expect(chunks.map((chunk) => chunk[1].id)).toEqual([2368, 1929]);
  });

  it('lists tokens readably without --json', () => {
    const r = runCli(['prompt', 'inspect', 'a (cat:1.5)']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cat<\/w>\s+1\.5/);
    expect(r.stdout).toContain('chunk 1 of 1: 2 prompt tokens');
  });

  it('shows weights as A1111 does (Python repr of the weight rounded to 4 places): 1.21, not 1.2100000000000002', () => {
    const r = runCli(['prompt', 'inspect', '((a fox)) [b]']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\n  1.21    "a fox"\n  1.0     " "\n  0.9091  "b"\n');
    expect(r.stdout).toMatch(/fox<\/w>\s+1\.21\n/);
    expect(r.stdout).not.toMatch(/\d{6}/);
  });

  it('exits 2 naming the missing tokenizer file of a --model folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'no-model-'));
    const r = runCli(['prompt', 'inspect', 'a cat', '--model', dir, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`deforum: ${path.join(dir, 'tokenizer', 'vocab.json')}: missing`);
  });

  it('exits 2 on a weight that is not a number, and without a prompt', () => {
    const bad = runCli(['prompt', 'inspect', 'a (cat:1.2.3)', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('weight "1.2.3"');
    const missing = runCli(['prompt', 'inspect']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'prompt'");
  });

  it('finds the bundled model from any working directory', () => {
    const r = runCli(['prompt', 'inspect', 'a cat', '--json'], { cwd: os.tmpdir() });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Inspection).chunks[0][2].id).toBe(2368);
  });
});
