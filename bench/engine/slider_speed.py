"""Training cost of a text-slider step against a target step on the same model (builtin:tiny-shapes, CPU).

    PYTHONPATH=engine .venv/bin/python bench/engine/slider_speed.py [--steps N] [--json out.json]

A target step is one forward and backward of the UNet on a batch of training images (here batch 4, as in the
demo). A slider step first denoises x_t part of the way (on average half of `denoise_steps` guided forwards),
then runs one no-grad forward over neutral/positive/negative (+ anchors) and two forward-backward passes (at +1
and −1). Figures are steps per second of the training loop alone (it/s as the progress events report them).
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
from lorabias_engine.slider import train_slider  # noqa: E402
from lorabias_engine.train import train  # noqa: E402

DEMO = Path(__file__).resolve().parents[2] / "recipes" / "demo-data" / "large"


def rate(fn, params: dict) -> float:
    rates = []
    ctx = JobContext("bench")
    ctx.progress = lambda data, force=False: rates.append(data["its"])  # type: ignore[method-assign]
    fn(params, ctx, REGISTRY)
    return rates[-1]


REGISTRY = Registry()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("LORABIAS_THREADS", "1")))
    model = REGISTRY.load({"checkpoint": "builtin:tiny-shapes"})[0]
    out = Path(tempfile.mkdtemp(prefix="slider-speed-"))
    common = {"model_id": model.model_id, "rank": 4, "steps": args.steps, "lr": 1e-3, "seed": 0}
    images = sorted(str(p) for p in DEMO.glob("*.png"))
    slider = {**common, "targets": ["blue, circle, white background", "red, square, black background"],
              "positive": "large, {target}", "negative": "small, {target}", "guidance": 2.0}
    cases = [
        ("target step (batch 4, as the demo's `size`)", train, {**common, "images": images, "batch_size": 4}),
        ("target step (batch 1)", train, {**common, "images": images, "batch_size": 1}),
        ("slider step, denoise_steps 25 (default)", train_slider, {**slider}),
        ("slider step, the text-slider recipe's settings (denoise_steps 25, batch 4, timesteps [500, 1000])",
         train_slider, {**slider, "batch_size": 4, "timesteps": [500, 1000]}),
        ("slider step, denoise_steps 10", train_slider,
         {**slider, "denoise_steps": 10}),
        ("slider step, denoise_steps 10, 2 anchors", train_slider,
         {**slider, "denoise_steps": 10, "anchors": ["green, triangle", "purple, diamond"]}),
        ("slider step, denoise_steps 10, timesteps [0, 500]", train_slider,
         {**slider, "denoise_steps": 10, "timesteps": [0, 500]}),
    ]
    results = []
    load = os.getloadavg()[0]
    for i, (name, fn, params) in enumerate(cases):
        t0 = time.time()
        its = rate(fn, {**params, "output": str(out / f"{i}.safetensors")})
        results.append({"case": name, "its": its, "seconds": time.time() - t0})
        print(f"{name:<55} {its:6.2f} it/s")
    base = results[0]["its"]
    for r in results[2:]:
        print(f"  {r['case']}: {base / r['its']:.1f}x the time of a batch-4 target step")
    print(f"load average at start: {load:.1f}; torch threads {torch.get_num_threads()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"load": load, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
