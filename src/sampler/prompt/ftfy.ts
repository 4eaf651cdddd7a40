/**
 * The table-driven repairs of ftfy's `fix_text` (ftfy 6 defaults), which CLIP's tokenizer runs first in A1111
 * (transformers' CLIPTokenizer uses ftfy when installed, and A1111 installs it). They change the tokens of prompts
 * pasted from documents and CJK keyboards: curly quotes (`dragon’s` → `dragon's`, so `'s` is one token), full-width
 * forms (`（` → `(`), Latin ligatures, invisible control characters. ftfy's mojibake repair, which guesses encodings,
 * is not done; a prompt that is valid text is unaffected by it.
 */

// ftfy chardata LIGATURES: Latin ligatures and legacy digraphs, split into letters.
const LIGATURES: Record<string, string> = {
  'Ĳ': 'IJ', 'ĳ': 'ij', 'ŉ': 'ʼn', 'Ǳ': 'DZ', 'ǲ': 'Dz', 'ǳ': 'dz', 'Ǆ': 'DŽ', 'ǅ': 'Dž', 'ǆ': 'dž',
  'Ǉ': 'LJ', 'ǈ': 'Lj', 'ǉ': 'lj', 'Ǌ': 'NJ', 'ǋ': 'Nj', 'ǌ': 'nj',
  'ﬀ': 'ff', 'ﬁ': 'fi', 'ﬂ': 'fl', 'ﬃ': 'ffi', 'ﬄ': 'ffl', 'ﬅ': 'ſt', 'ﬆ': 'st',
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'gu');
// ftfy chardata WIDTH_MAP: half- and full-width forms U+FF01–U+FFEF become their NFKC form; U+3000 a space.
const WIDTH_FORM = /[\u3000\uff01-\uffef]/gu;
// ftfy chardata SINGLE_QUOTE_RE / DOUBLE_QUOTE_RE.
const SINGLE_QUOTE = /[\u02bc\u2018-\u201b]/gu;
const DOUBLE_QUOTE = /[\u201c-\u201f]/gu;
// ftfy chardata CONTROL_CHARS: removed, not turned into spaces.
const CONTROL = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/gu;

export function fixText(text: string): string {
  return text
    .replace(LIGATURE, (char) => LIGATURES[char])
    .replace(WIDTH_FORM, (char) => (char === '\u3000' ? ' ' : char.normalize('NFKC')))
    .replace(SINGLE_QUOTE, "'")
    .replace(DOUBLE_QUOTE, '"')
    .replace(CONTROL, '')
    .normalize('NFC');
}
