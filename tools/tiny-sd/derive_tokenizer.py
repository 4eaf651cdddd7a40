"""Derive the CLIP tokenizer files (vocab.json, merges.txt) from the real CLIP BPE merges.

The vocabulary order is the one of openai/CLIP's simple_tokenizer (see docs/sd-pipeline.md §2):
the 256 byte-unicode characters, the same with '</w>', one entry per merge (merges.txt lines 1..48894),
then <|startoftext|> = 49406 and <|endoftext|> = 49407.

usage: python3 tools/tiny-sd/derive_tokenizer.py ../shared/data/clip-bpe/bpe_simple_vocab_16e6.txt.gz models/tiny-sd/tokenizer
"""
import gzip
import json
import os
import sys


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def main(src, out_dir):
    lines = gzip.open(src).read().decode("utf-8").split("\n")
    merges = lines[1 : 49152 - 256 - 2 + 1]
    assert len(merges) == 48894, len(merges)
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab.extend("".join(m.split()) for m in merges)
    vocab.extend(["<|startoftext|>", "<|endoftext|>"])
    assert len(vocab) == 49408
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({tok: i for i, tok in enumerate(vocab)}, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w") as f:
        json.dump(special, f, indent=2)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "do_lower_case": True, **special}, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
