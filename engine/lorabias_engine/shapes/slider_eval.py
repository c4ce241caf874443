"""How well a size slider works on `builtin:tiny-shapes`: area change at +1 and −1 and colour shift per unit of
size change, on prompts that state no size, measured with the analyser (docs/tiny-shapes.md).

`sizeless_prompts(n, seed, exclude)` draws "colour, shape, background" prompts (no size tag) and sampling
seeds from a fixed seed, leaving out the prompts in `exclude` (e.g. the slider's own training prompts).
`measure(model, lora_path, wants, weights)` samples each prompt × seed at weight 0 and at each weight, and
returns `leakage` (analyse.py) per weight: size change is the mean relative area change, colour shift the mean
RGB distance, and colour per size their ratio. At a negative weight the ratio uses |size change|.
"""
from __future__ import annotations

import numpy as np

from .analyse import leakage
from .claim import measure as sample_with
from .generator import BACKGROUNDS, COLORS, SHAPES


def sizeless_prompts(n: int, seed: int, exclude: tuple[str, ...] = ()) -> list[dict]:
    rng = np.random.default_rng(seed)
    out: list[dict] = []
    excluded = {e.strip() for e in exclude}
    while len(out) < n:
        color, shape, bg = str(rng.choice(list(COLORS))), str(rng.choice(SHAPES)), str(rng.choice(list(BACKGROUNDS)))
        prompt = f"{color}, {shape}, {bg}"
        sample_seed = int(rng.integers(0, 2**31 - 1))
        if prompt in excluded:
            continue
        out.append({"prompt": prompt, "color": color, "shape": shape, "background": bg, "seed": sample_seed})
    return out


def measure(model, lora_path: str, wants: list[dict], weights=(1.0, -1.0), **sample) -> dict:
    base = sample_with(model, None, wants, **sample)
    out = {}
    for w in weights:
        res = leakage(list(zip(base, sample_with(model, lora_path, wants, w, **sample))))
        if w < 0 and res["size_change"] is not None:
            shrink = -res["size_change"]
            res["color_per_size"] = res["color_shift"] / shrink if shrink > 0.05 else None
        res.pop("details")
        out[w] = res
    return out


def line(name: str, w: float, r: dict) -> str:
    cps = r["color_per_size"]
    return (f"{name:>10} @ {w:+g}: size change {r['size_change']:+.3f}, colour shift {r['color_shift']:.3f}, "
            f"colour per size {'—' if cps is None else f'{cps:.3f}'}, colour name changed {r['color_changed']:.0%} "
            f"({r['valid']}/{r['pairs']} pairs)")
