import type { Command } from 'commander';
import { bundledModelPath } from '../models/bundled.js';
import { formatWeight, isBreak, type PromptFragment } from '../sampler/prompt/attention.js';
import { chunkPrompt, type PromptChunk } from '../sampler/prompt/chunks.js';
import { loadClipTokenizer, type ClipTokenizer } from '../sampler/prompt/clip-tokenizer.js';

interface InspectFlags {
  model?: string;
  json?: boolean;
}

function inspectJson(fragments: PromptFragment[], chunks: PromptChunk[]): string {
  return JSON.stringify({
    fragments: fragments.map(({ text, weight }) => ({ text, weight })),
    chunks: chunks.map(({ ids, weights }) => Array.from(ids, (id, i) => ({ id, weight: weights[i] }))),
  });
}

/** Fragments with their weights as A1111 shows them, then each chunk's tokens up to its closing EOS; the padding as one line. */
function inspectListing(tokenizer: ClipTokenizer, fragments: PromptFragment[], chunks: PromptChunk[]): string {
  const lines = ['fragments (weight, text):'];
  for (const fragment of fragments) lines.push(isBreak(fragment) ? '  BREAK' : `  ${formatWeight(fragment.weight).padEnd(6)}  ${JSON.stringify(fragment.text)}`);
  chunks.forEach(({ ids, weights }, index) => {
    const end = ids.indexOf(tokenizer.eosId, 1);
    lines.push(`chunk ${index + 1} of ${chunks.length}: ${end - 1} prompt tokens (position, id, token, weight):`);
    for (let i = 0; i <= end; i++) lines.push(`  ${String(i).padStart(2)}  ${String(ids[i]).padStart(5)}  ${(tokenizer.tokenText(ids[i]) ?? '?').padEnd(20)}  ${formatWeight(weights[i])}`);
    if (end < ids.length - 1) lines.push(`  ${end + 1}–${ids.length - 1}  padding: ${ids.length - 1 - end} × ${ids[end + 1]} ${tokenizer.tokenText(ids[end + 1]) ?? '?'}`);
  });
  return lines.join('\n');
}

export function register(program: Command): void {
  const prompt = program.command('prompt').description('see how a prompt is read: A1111 emphasis, BREAK, 75-token chunks');

  prompt
    .command('inspect')
    .description('the token chunks and per-token weights the text encoder receives for a prompt, as AUTOMATIC1111 builds them')
    .argument('<prompt>', 'prompt text, e.g. "a (red:1.3) fox, [blurry]" (may be empty)')
    .option('--model <dir>', 'model folder whose tokenizer/ to use (default: the bundled tiny-sd)')
    .option('--json', 'print {"fragments": [{text, weight}], "chunks": [[{id, weight} × 77], …]}')
    .action((text: string, flags: InspectFlags) => {
      const tokenizer = loadClipTokenizer(flags.model ?? bundledModelPath('tiny-sd'));
      const { fragments, chunks } = chunkPrompt(tokenizer, text);
      process.stdout.write(`${flags.json ? inspectJson(fragments, chunks) : inspectListing(tokenizer, fragments, chunks)}\n`);
    });
}
