import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/errors.js';
import { bundledModelPath } from '../../../src/models/bundled.js';
import { loadClipTokenizer, normalizeClipText } from '../../../src/sampler/prompt/clip-tokenizer.js';
import { repoRoot } from '../../helpers.js';

const tokenizer = loadClipTokenizer(bundledModelPath('tiny-sd'));

describe('CLIP tokenizer', () => {
  it('has the SD1 special ids', () => {
    expect(tokenizer.bosId).toBe(49406);
    expect(tokenizer.eosId).toBe(49407);
    expect(tokenizer.padId).toBe(49407);
    expect(tokenizer.commaId).toBe(267);
  });

  it('gives the well-known ids of a plain prompt', () => {
    expect(tokenizer.encode('a photo of a cat')).toEqual([320, 1125, 539, 320, 2368]);
    expect(tokenizer.encode('A  Photo\tOF a CAT ')).toEqual([320, 1125, 539, 320, 2368]);
    expect(tokenizer.tokenText(1125)).toBe('photo</w>');
  });

  it('cleans text as CLIP does: HTML entities, whitespace, case', () => {
    expect(normalizeClipText('  Tom &amp;amp; Jerry\u3000&lt;3 \n')).toBe('tom & jerry <3');
    expect(tokenizer.encode('Tom &amp; Jerry')).toEqual(tokenizer.encode('tom & jerry'));
  });

  it('repairs text as ftfy does first: curly quotes, full-width forms, ligatures, control characters', () => {
    expect(tokenizer.encode('a dragon\u2019s \u201clair\u201d')).toEqual(tokenizer.encode('a dragon\'s "lair"'));
    expect(tokenizer.encode('\uff08masterpiece\uff1a\uff11.\uff12\uff09')).toEqual(tokenizer.encode('(masterpiece:1.2)'));
    expect(normalizeClipText('\ufb01ne\u00a0\ufb02ower\u3000a\x0bb\ufeff')).toBe('fine flower ab');
  });

  it('splits digits one by one and keeps contractions', () => {
    const pieces = (text: string) => tokenizer.encode(text).map((id) => tokenizer.tokenText(id));
    expect(pieces('8k 2024')).toEqual(['8</w>', 'k</w>', '2</w>', '0</w>', '2</w>', '4</w>']);
    expect(pieces("it's")).toEqual(['it</w>', "'s</w>"]);
  });

  it('matches the reference implementation of simple_tokenizer on 5000 generated strings', () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test/fixtures/clip-tokenizer.json'), 'utf8')) as { cases: Array<[string, number[]]> };
    expect(fixture.cases.length).toBe(5000);
    const mismatches = fixture.cases.filter(([text, ids]) => JSON.stringify(tokenizer.encode(text)) !== JSON.stringify(ids));
    expect(mismatches.slice(0, 3)).toEqual([]);
  });

  it('names the missing file when a model folder has no tokenizer', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'no-tokenizer-'));
    const load = () => loadClipTokenizer(dir);
    expect(load).toThrow(ModelError);
    expect(load).toThrow(`${path.join(dir, 'tokenizer', 'vocab.json')}: missing`);
  });

  it('says so when the model path is a file, not a folder', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-')), 'model.safetensors');
    fs.writeFileSync(file, '');
    expect(() => loadClipTokenizer(file)).toThrow(`${file}: not a folder; expected a diffusers/ONNX model folder`);
  });

  it('rejects a vocabulary without the CLIP special tokens', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-tokenizer-'));
    fs.mkdirSync(path.join(dir, 'tokenizer'));
    fs.writeFileSync(path.join(dir, 'tokenizer', 'vocab.json'), JSON.stringify({ a: 0, 'a</w>': 1 }));
    fs.writeFileSync(path.join(dir, 'tokenizer', 'merges.txt'), '#version: 0.2\n');
    expect(() => loadClipTokenizer(dir)).toThrow(`${path.join(dir, 'tokenizer', 'vocab.json')}: no "<|startoftext|>" token; expected a CLIP vocabulary`);
  });

  it('pads with the pad token a folder names (SD2 uses "!")', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd2-tokenizer-'));
    fs.cpSync(path.join(bundledModelPath('tiny-sd'), 'tokenizer'), path.join(dir, 'tokenizer'), { recursive: true });
    fs.chmodSync(path.join(dir, 'tokenizer'), 0o755);
    fs.writeFileSync(path.join(dir, 'tokenizer', 'special_tokens_map.json'), JSON.stringify({ pad_token: '!' }));
    expect(loadClipTokenizer(dir).padId).toBe(0);
  });
});
