"""CLIP's tokenizer files, derived offline from the BPE merges the engine carries (configs/clip/)."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from .configs import CONFIG_DIR

BPE = CONFIG_DIR / "clip" / "bpe_simple_vocab_16e6.txt.gz"


def _bytes_to_unicode() -> list[str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lorabias" / "clip-tokenizer"


def clip_tokenizer_files() -> Path:
    """A folder with vocab.json and merges.txt exactly as OpenAI's CLIP tokenizer (49408 tokens), built once."""
    folder = cache_dir()
    if (folder / "vocab.json").exists() and (folder / "merges.txt").exists():
        return folder
    lines = gzip.open(BPE).read().decode("utf-8").split("\n")[1: 49152 - 256 - 2 + 1]
    merges = [tuple(line.split()) for line in lines]
    chars = _bytes_to_unicode()
    vocab = chars + [c + "</w>" for c in chars] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("merges.txt", "#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n"),
                       ("vocab.json", json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False))):
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / name)
    return folder
