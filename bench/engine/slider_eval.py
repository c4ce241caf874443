"""The text size slider of recipes/text-slider.lorabias on builtin:tiny-shapes, against the demo's LoRAs.

Trains the slider with the recipe's settings (SLIDER below; keep them in step with the recipe) and the demo's
naive and bias-then-train `size` LoRAs (shapes/claim.py, which mirrors recipes/demo.lorabias), then samples
prompts that state no size at weights 0, +1 and −1 and prints the area change and the colour shift per unit of
size change (shapes/slider_eval.py, docs/tiny-shapes.md).

    PYTHONPATH=engine .venv/bin/python bench/engine/slider_eval.py [--set tune|test] [--pairs N] [--json out.json]

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

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402

from lorabias_engine.models.registry import Registry  # noqa: E402
from lorabias_engine.protocol import JobContext  # noqa: E402
from lorabias_engine.shapes import claim as C  # noqa: E402
from lorabias_engine.shapes import slider_eval as S  # noqa: E402
from lorabias_engine.slider import train_slider  # noqa: E402

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
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("LORABIAS_THREADS", "1")))
    work = Path(args.work or tempfile.mkdtemp(prefix="slider-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    registry = Registry()
    model = registry.load({"checkpoint": "builtin:tiny-shapes"})[0]
    settings = {**SLIDER, **json.loads(args.override)}

    t0 = time.time()
    demo = {k: work / f"{k}.safetensors" for k in ("copier", "target", "naive")}
    if not all(p.exists() for p in demo.values()):
        paths = C.train_loras(model, registry, work)
        demo = {"copier": Path(paths["copier"]), "target": Path(paths["target"]), "naive": Path(paths["naive"])}
    demo_s = time.time() - t0
    t0 = time.time()
    ctx = JobContext("slider")
    ctx.progress = lambda data, force=False: None  # type: ignore[method-assign]
    res = train_slider({"model_id": model.model_id, "output": str(work / "slider.safetensors"), **settings}, ctx, registry)
    slider_s = time.time() - t0
    print(f"demo LoRAs {demo_s:.0f} s; slider {slider_s:.0f} s ({res['its']:.2f} it/s), final loss {res['final_loss']:.4f}")

    wants = S.sizeless_prompts(args.pairs, SETS[args.set], exclude=tuple(settings["targets"]))
    out = {"set": args.set, "pairs": args.pairs, "settings": settings, "slider_seconds": slider_s}
    for name, path, weights in (("slider", res["path"], (1.0, -1.0)), ("size", demo["target"], (1.0,)),
                                ("naive", demo["naive"], (1.0,))):
        figs = S.measure(model, str(path), wants, weights)
        for w, r in figs.items():
            print(S.line(name, w, r))
        out[name] = {str(w): r for w, r in figs.items()}
    s_up, s_down, size = out["slider"]["1.0"], out["slider"]["-1.0"], out["size"]["1.0"]
    print(f"done when: +1 area {s_up['size_change']:+.0%} (≥ +40%), −1 area {s_down['size_change']:+.0%} (≤ −25%), "
          f"colour per size at +1 {s_up['color_per_size']} vs bias-then-train {size['color_per_size']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
