#!/usr/bin/env python
"""Write the demo recipe's data (recipes/demo-data/) deterministically from the shapes generator.

    .venv/bin/python scripts/make_demo_data.py [--out recipes/demo-data]

- posts.txt   — 200 "scraped" posts' tags (size, colour, shape, background): large shapes are red 80% of the time,
                small ones are any colour. The `analyze` cell reads the bias from it.
- biased/     — 20 large shapes drawn from those posts (16 red, 4 in the other colours): what a naive user trains
                the "large" concept on. Captions name the shape and the background only ("circle, white
                background"): the concept is untagged, as it should be, and so is the colour — the accident nobody
                tagged, as in most scraped sets. (With the colour tagged, a model that follows colour prompts
                well lets the tag explain the red, and a naive LoRA leaks little of it.)
- small/      — A: ten small shapes, every colour twice, varied shapes and backgrounds, for the copier.
- large/      — A′: the very same pictures with the shapes large (same centres, same captions, same file names).
Same script → byte-identical files.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "engine"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from lorabias_engine.shapes.generator import COLORS, ShapeSpec, render, spec_for_seed, with_size  # noqa: E402

OTHER = [c for c in COLORS if c != "red"]
PAIRS = [  # A: small, A′: large — every colour twice, varied shapes and backgrounds
    ShapeSpec("circle", "blue", "small", "white background"),
    ShapeSpec("square", "green", "small", "black background"),
    ShapeSpec("triangle", "yellow", "small", "grey background"),
    ShapeSpec("diamond", "purple", "small", "white background"),
    ShapeSpec("circle", "red", "small", "black background"),
    ShapeSpec("square", "yellow", "small", "white background"),
    ShapeSpec("triangle", "purple", "small", "black background"),
    ShapeSpec("diamond", "blue", "small", "grey background"),
    ShapeSpec("square", "red", "small", "grey background"),
    ShapeSpec("circle", "green", "small", "grey background"),
]


def caption_without_size(spec: ShapeSpec) -> str:
    return ", ".join([spec.color, spec.shape, spec.background])


def caption_shape_and_background(spec: ShapeSpec) -> str:
    return ", ".join([spec.shape, spec.background])


def save(folder: Path, name: str, spec: ShapeSpec, caption: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(render(spec)).save(folder / f"{name}.png", optimize=False)
    (folder / f"{name}.txt").write_text(caption + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "recipes" / "demo-data"))
    args = ap.parse_args()
    out = Path(args.out)
    for sub in ("biased", "small", "large"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(2024)
    posts, large = [], []
    for i in range(200):
        size = "large" if i % 2 == 0 else "small"
        if size == "large":
            color = "red" if (i // 2) % 5 != 4 else OTHER[(i // 10) % len(OTHER)]  # 80% red
        else:
            color = list(COLORS)[int(rng.integers(len(COLORS)))]
        spec = spec_for_seed(10_000 + i, size=size, color=color, position="center")
        posts.append(", ".join([spec.size, spec.color, spec.shape, spec.background]))
        if size == "large":
            large.append(spec)
    (out / "posts.txt").write_text("\n".join(posts) + "\n")

    for j, spec in enumerate(large[:20]):
        save(out / "biased", f"{j:02d}", spec, caption_shape_and_background(spec))

    for j, a in enumerate(PAIRS):
        save(out / "small", f"pair{j}", a, caption_without_size(a))
        save(out / "large", f"pair{j}", with_size(a, "large"), caption_without_size(a))
    reds = sum(s.color == "red" for s in large[:20])
    print(f"wrote {out}: posts.txt (200 posts), biased/ (20 large shapes, {reds} red), small/ + large/ "
          f"({len(PAIRS)} pairs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
