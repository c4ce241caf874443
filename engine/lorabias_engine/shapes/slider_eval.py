"""How well a size slider works on `builtin:tiny-shapes`: area change at +1 and −1 and colour shift per unit of
size change, on prompts that state no size, measured with the analyser (docs/tiny-shapes.md).

`sizeless_prompts(n, seed, exclude)` draws "colour, shape, background" prompts (no size tag) and sampling
seeds from a fixed seed, leaving out the prompts in `exclude` (e.g. the slider's own training prompts).
`measure(model, lora_path, wants, weights)` samples each prompt × seed at weight 0 and at each weight, and
returns `leakage` (analyse.py) per weight: size change is the mean relative area change, colour shift the mean
RGB distance, and colour per size their ratio. At a negative weight the ratio uses |size change|.

Run as a script it trains the slider of recipes/text-slider.lorabias (SLIDER below; keep them in step) and the
demo's naive and bias-then-train `size` LoRAs (claim.py, which mirrors recipes/demo.lorabias), and prints the
figures of all three:

    PYTHONPATH=engine .venv/bin/python -m lorabias_engine.shapes.slider_eval [--set tune|test] [--pairs N] [--json f]

`--set tune` (prompt seed 11) is the set the settings were chosen on; `--set test` (prompt seed 4243) was not
looked at while choosing them. Both leave out the slider's own training prompts.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

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


# Mirrors recipes/text-slider.lorabias.
SLIDER = dict(
    targets=["red, circle, white background", "blue, square, black background", "green, triangle, grey background",
             "yellow, diamond, white background", "purple, circle, black background"],
    positive="large, {target}", negative="small, {target}", guidance=2.0, rank=4, alpha=4.0, steps=150, lr=2e-3,
    timesteps=[0, 1000], denoise_steps=10, seed=3)
SETS = {"tune": 11, "test": 4243}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=sorted(SETS), default="tune")
    ap.add_argument("--pairs", type=int, default=12)
    ap.add_argument("--work", default=None, help="folder for the LoRAs (default: a temporary one); reused if present")
    ap.add_argument("--override", default="{}", help="JSON of slider settings to try instead of the recipe's")
    ap.add_argument("--measure-only", action="store_true", help="measure the slider already in --work, do not train")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    import torch

    from ..models.registry import Registry
    from ..protocol import JobContext
    from ..slider import train_slider
    from . import claim as C

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(int(os.environ.get("LORABIAS_THREADS", "1")))
    work = Path(args.work or tempfile.mkdtemp(prefix="slider-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    registry = Registry()
    model = registry.load({"checkpoint": "builtin:tiny-shapes"})[0]
    settings = {**SLIDER, **json.loads(args.override)}

    t0 = time.time()
    demo = {"copier": work / "copier.safetensors", "target": work / "size.safetensors", "naive": work / "naive.safetensors"}
    if not all(p.exists() for p in demo.values()):
        paths = C.train_loras(model, registry, work)
        demo = {"copier": Path(paths["copier"]), "target": Path(paths["target"]), "naive": Path(paths["naive"])}
    demo_s = time.time() - t0
    t0 = time.time()
    ctx = JobContext("slider")
    ctx.progress = lambda data, force=False: None  # type: ignore[method-assign]
    if args.measure_only:
        res = {"path": str(work / "slider.safetensors")}
    else:
        res = train_slider({"model_id": model.model_id, "output": str(work / "slider.safetensors"), **settings}, ctx,
                           registry)
        print(f"slider {time.time() - t0:.0f} s ({res['its']:.2f} it/s), final loss {res['final_loss']:.4f}")
    slider_s = time.time() - t0
    print(f"demo LoRAs {demo_s:.0f} s")

    wants = sizeless_prompts(args.pairs, SETS[args.set], exclude=tuple(settings["targets"]))
    out = {"set": args.set, "pairs": args.pairs, "settings": settings, "slider_seconds": slider_s}
    for name, path, weights in (("slider", res["path"], (1.0, -1.0)), ("size", demo["target"], (1.0,)),
                                ("naive", demo["naive"], (1.0,))):
        figs = measure(model, str(path), wants, weights)
        for w, r in figs.items():
            print(line(name, w, r))
        out[name] = {str(w): r for w, r in figs.items()}
    s_up, s_down, size = out["slider"]["1.0"], out["slider"]["-1.0"], out["size"]["1.0"]
    print(f"done when: +1 area {s_up['size_change']:+.0%} (≥ +40%), −1 area {s_down['size_change']:+.0%} (≤ −25%), "
          f"colour per size at +1 {s_up['color_per_size']} vs bias-then-train {size['color_per_size']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
