"""CLIP BPE tokenizer (openai simple_tokenizer algorithm; docs/sd-pipeline.md §2) over models/tiny-sd/tokenizer/."""
import json
import os
import re

import numpy as np

from derive_tokenizer import bytes_to_unicode

BOS, EOS, LENGTH = 49406, 49407, 77
_PRETOKEN = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+", re.IGNORECASE)


class ClipTokenizer:
    def __init__(self, folder):
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            self.vocab = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            merges = [tuple(line.split()) for line in f.read().split("\n")[1:] if line]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_chars = bytes_to_unicode()
        self.cache = {}

    def _bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = word
        return word

    def encode(self, text):
        """Token ids without BOS/EOS."""
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids = []
        for piece in _PRETOKEN.findall(text):
            chars = "".join(self.byte_chars[b] for b in piece.encode("utf-8"))
            ids.extend(self.vocab.get(t, EOS) for t in self._bpe(chars))
        return ids

    def __call__(self, texts):
        """int64 [len(texts), 77]: BOS, tokens (truncated), EOS, padded with EOS."""
        out = np.full((len(texts), LENGTH), EOS, np.int64)
        for row, text in zip(out, texts):
            ids = [BOS] + self.encode(text)[: LENGTH - 2] + [EOS]
            row[: len(ids)] = ids
        return out
