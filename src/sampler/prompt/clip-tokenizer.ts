import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { decodeHTML } from 'entities';
import { ModelError } from '../../errors.js';
import { fixText } from './ftfy.js';
import { RE_SPACE, REGEX_SPACE } from './python-regex.js';

const START_OF_TEXT = '<|startoftext|>';
const END_OF_TEXT = '<|endoftext|>';

/**
 * CLIP's pre-tokenisation regex (docs/sd-pipeline.md §2), written so JS splits where Python's `regex` module with
 * IGNORECASE does on lower-cased text: `\s` is a plain space (after `normalizeClipText` the only whitespace left);
 * `'s` also takes `'ſ`, which case-folds to it; and U+0345, which case-folds to a letter, matches no alternative and
 * is dropped, as in Python (checked on every code point).
 */
const PRE_TOKENIZE = "<\\|startoftext\\|>|<\\|endoftext\\|>|'[sſ]|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^ \\p{L}\\p{N}\\u0345]+";

/** Distinct texts whose ids are kept; far more than the fragments of a render's prompts. */
const ENCODED_TEXTS = 10_000;

const whitespaceRuns = new RegExp(`[${REGEX_SPACE}]+`, 'gu');
const outerSpace = new RegExp(`^[${RE_SPACE}]+|[${RE_SPACE}]+$`, 'gu');

/**
 * CLIP's text cleaning (simple_tokenizer `basic_clean`, `whitespace_clean`, `lower`; docs/sd-pipeline.md §2): ftfy's
 * table-driven repairs and NFC (`fixText`), HTML unescape twice, strip, whitespace runs → one space, lower-case.
 */
export function normalizeClipText(text: string): string {
  const unescaped = decodeHTML(decodeHTML(fixText(text)));
  return unescaped.replace(outerSpace, '').replace(whitespaceRuns, ' ').replace(outerSpace, '').toLowerCase();
}

/**
 * The CLIP BPE tokenizer of a model folder. BPE itself is `@huggingface/tokenizers` (byte-level BPE with `</w>`,
 * caching each word's merges: prompts repeat every frame); cleaning and the pre-tokenisation split are CLIP's.
 */
export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  /** SD1 pads with `<|endoftext|>`; SD2 folders name `!` (docs/sd-pipeline.md §1.4, §2). */
  readonly padId: number;
  /** `,</w>`, where A1111's prompt word wrap may break a chunk; absent from a vocabulary without it. */
  readonly commaId: number | undefined;
  private readonly bpe: Tokenizer;
  private readonly tokenTexts: string[] = [];
  /** Ids per text: a render re-tokenises the same prompt fragments every frame. */
  private readonly encoded = new Map<string, readonly number[]>();

  /** `source` names the vocabulary in errors (its file); `padToken` defaults to `<|endoftext|>`. */
  constructor(vocab: Record<string, number>, merges: string[], options: { padToken?: string; source?: string } = {}) {
    const idOf = (token: string): number => {
      const id = Object.hasOwn(vocab, token) ? vocab[token] : undefined;
      if (id === undefined) throw new ModelError(`${options.source ?? 'tokenizer vocabulary'}: no "${token}" token; expected a CLIP vocabulary`);
      return id;
    };
    this.bosId = idOf(START_OF_TEXT);
    this.eosId = idOf(END_OF_TEXT);
    this.padId = idOf(options.padToken ?? END_OF_TEXT);
    this.commaId = Object.hasOwn(vocab, ',</w>') ? vocab[',</w>'] : undefined;
    for (const [token, id] of Object.entries(vocab)) this.tokenTexts[id] = token;
    const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
    this.bpe = new Tokenizer(
      {
        version: '1.0',
        added_tokens: [special(START_OF_TEXT, this.bosId), special(END_OF_TEXT, this.eosId)],
        normalizer: null,
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: PRE_TOKENIZE }, behavior: 'Removed', invert: true },
            { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
          ],
        },
        post_processor: null,
        decoder: null,
        model: { type: 'BPE', dropout: null, unk_token: END_OF_TEXT, continuing_subword_prefix: '', end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, vocab, merges },
      },
      {},
    );
  }

  /** Token ids of `text`, without BOS/EOS; an unknown piece becomes `<|endoftext|>` (the unk token). */
  encode(text: string): readonly number[] {
    const cached = this.encoded.get(text);
    if (cached) return cached;
    const ids = this.bpe.encode(normalizeClipText(text), { add_special_tokens: false }).ids;
    if (this.encoded.size >= ENCODED_TEXTS) this.encoded.clear();
    this.encoded.set(text, ids);
    return ids;
  }

  /** The vocabulary entry of `id` (`photo</w>`), for listings. */
  tokenText(id: number): string | undefined {
    return this.tokenTexts[id];
  }
}

function readModelFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable (${(error as Error).message})`;
    throw new ModelError(`${file}: ${why}; a model folder needs tokenizer/vocab.json and tokenizer/merges.txt (CLIP BPE)`, 2, { cause: error });
  }
}

function parseJsonFile(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelError(`${file}: not valid JSON (${(error as Error).message})`, 2, { cause: error });
  }
}

function readVocab(file: string): Record<string, number> {
  const vocab = parseJsonFile(file, readModelFile(file));
  const valid = typeof vocab === 'object' && vocab !== null && !Array.isArray(vocab) && Object.values(vocab).every((id) => Number.isInteger(id));
  if (!valid) throw new ModelError(`${file}: expected an object of token → integer id`);
  return vocab as Record<string, number>;
}

/** merges.txt: an optional `#version` line, then one `left right` pair per line. */
function readMerges(file: string): string[] {
  const lines = readModelFile(file).split(/\r?\n/);
  const merges = (lines[0]?.startsWith('#version') ? lines.slice(1) : lines).filter((line) => line.length > 0);
  const bad = merges.findIndex((line) => line.split(' ').length !== 2);
  if (bad >= 0) throw new ModelError(`${file}: line ${bad + 2} is not a "left right" merge pair`);
  return merges;
}

/** The pad token named by `special_tokens_map.json`, when the folder has one. */
function readPadToken(file: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  const map = parseJsonFile(file, readModelFile(file)) as { pad_token?: string | { content?: string } } | null;
  const pad = map?.pad_token;
  return typeof pad === 'string' ? pad : pad?.content;
}

/** Loads `<modelDir>/tokenizer/{vocab.json,merges.txt}` (diffusers layout, docs/sd-pipeline.md §2). */
export function loadClipTokenizer(modelDir: string): ClipTokenizer {
  if (fs.existsSync(modelDir) && !fs.statSync(modelDir).isDirectory()) {
    throw new ModelError(`${modelDir}: not a folder; expected a diffusers/ONNX model folder with tokenizer/vocab.json and tokenizer/merges.txt`);
  }
  const dir = path.join(modelDir, 'tokenizer');
  const vocabFile = path.join(dir, 'vocab.json');
  const vocab = readVocab(vocabFile);
  const merges = readMerges(path.join(dir, 'merges.txt'));
  return new ClipTokenizer(vocab, merges, { padToken: readPadToken(path.join(dir, 'special_tokens_map.json')), source: vocabFile });
}
