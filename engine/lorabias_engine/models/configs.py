"""The model configs the engine carries, so loading never needs the internet."""
from __future__ import annotations

import json
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def read_config(family: str, name: str) -> dict:
    with open(CONFIG_DIR / family / f"{name}.json", encoding="utf-8") as fh:
        data = json.load(fh)
    return {k: v for k, v in data.items() if not k.startswith("_comment")}


def tokenizer_dir(family: str) -> Path:
    return CONFIG_DIR / family / "tokenizer"
