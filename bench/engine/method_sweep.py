"""A settings sweep for docs/method.md: train pair-difference variants one by one and measure each on the harness
as soon as it is trained (weight 0 sampled once for all), one table row per candidate and weight.

    .venv/bin/python bench/engine/method_sweep.py --split tuning --keep /tmp/sweep \\
        pd=  pd_s200=steps=200  pd_w4=outside_weight=4  pd_lr6=lr=6e-3,steps=200  naive=@naive

Each candidate is NAME=key=json,key=json,… over the demo's `size` settings (recipes/demo.lorabias); `@naive` uses
the demo's `naive` cell instead, `@file:PATH` measures an existing LoRA file. `data=DIR` takes pairs from DIR/small
and DIR/large instead of recipes/demo-data. Without candidates: the demo's `naive` and `size`. With --keep, trained
files are kept there and reused when present (same name: delete them after changing a setting), so a measure can
be rerun without training again. Rows go to stdout and, as JSON lines, to --jsonl. A candidate with
`trajectory_weight` (engine/lorabias_engine/trajectory.py) and no `trajectory_prompts` samples its trajectories on
the pairs' captions that are no harness prompt (`trajectory_prompts` below; printed when it trains).
Choose settings on the tuning split; the test split is looked at once per kept candidate.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "engine"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from lorabias_engine.models.registry import Registry  # noqa: E402
from lorabias_engine.protocol import JobContext  # noqa: E402
from lorabias_engine.shapes import harness as H  # noqa: E402
from lorabias_engine.shapes.claim import DEMO_RECIPE, images, recipe_cells, train_params  # noqa: E402
from lorabias_engine.train import train  # noqa: E402


def parse_candidate(text: str) -> tuple[str, str, dict]:
    name, _, rest = text.partition("=")
    if rest.startswith("@"):
        return name, rest[1:], {}
    settings = {}
    for item in filter(None, rest.split(",")):
        k, _, v = item.partition("=")
        try:
            settings[k] = json.loads(v)
        except json.JSONDecodeError:
            settings[k] = v
    return name, "size", settings


def trajectory_prompts(images_: list[str]) -> list[str]:
    """The pairs' own captions that are no prompt of the harness (any family, either split): the trajectory loss
    samples on them, and must not sample on what the harness measures."""
    harness = {q["prompt"] for split in H.SPLITS for f in H.FAMILIES for q in H.prompts(f, split)}
    captions = [Path(p).with_suffix(".txt").read_text(encoding="utf-8").strip() for p in images_]
    kept = [c for c in dict.fromkeys(captions) if c not in harness]
    assert kept, "every caption of the pairs is a harness prompt"
    return kept


def train_one(model, reg, cell: str, settings: dict, out: Path) -> tuple[str, float]:
    if cell.startswith("file:"):
        return cell[5:], 0.0
    if out.exists():
        return str(out), 0.0
    cells = recipe_cells(DEMO_RECIPE)
    params, over, _ = train_params(cells, cell, DEMO_RECIPE.parent)
    assert not over, "the sweep trains cells without biases only"
    settings = dict(settings)
    data = settings.pop("data", None)
    if data:
        params["images"], params["pair_images"] = images(Path(data) / "large"), images(Path(data) / "small")
    params.update(settings)
    if params.get("trajectory_weight") and "trajectory_prompts" not in params:
        params["trajectory_prompts"] = trajectory_prompts(params["images"])
        print(f"    {out.stem}: trajectory prompts {params['trajectory_prompts']}", flush=True)
    t0 = time.time()
    r = train({"model_id": model.model_id, "resolution": 32, "output": str(out), **params}, JobContext(out.stem), reg)
    return r["path"], time.time() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("candidates", nargs="*", default=["naive=@naive", "size="])
    ap.add_argument("--split", default="tuning", choices=list(H.SPLITS))
    ap.add_argument("--families", default="bc")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--keep", help="folder for the trained files, reused when present (default: a new temporary one)")
    ap.add_argument("--jsonl")
    ap.add_argument("--profile", action="store_true", help="also print the background change by distance ring")
    ap.add_argument("--sample-steps", type=int, default=H.SAMPLE["steps"],
                    help="DDIM steps of the measure (a diagnostic; the harness and the bar use 25)")
    ap.add_argument("--by-background", action="store_true", help="also print the figures per background")
    ap.add_argument("--sample-cfg", type=float, default=H.SAMPLE["cfg"],
                    help="guidance of the measure (a diagnostic; the harness and the bar use 5)")
    args = ap.parse_args()
    import numpy as np
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    reg = Registry()
    model = reg.load({"checkpoint": "builtin:tiny-shapes"})[0]
    keep = Path(args.keep or tempfile.mkdtemp(prefix="lorabias-sweep-"))
    keep.mkdir(parents=True, exist_ok=True)
    wants = [w for f in args.families for w in H.prompts(f, args.split)[:: args.every]]
    t0 = time.time()
    base = H.sample_with(model, None, 0.0, wants, steps=args.sample_steps, cfg=args.sample_cfg)
    print(f"weight 0: {len(wants)} pictures, {time.time() - t0:.0f} s\n{H.TABLE_HEAD}", flush=True)
    for text in args.candidates:
        name, cell, settings = parse_candidate(text)
        path, secs = train_one(model, reg, cell, settings, keep / f"{name}.safetensors")
        for w in (1.0, -1.0):
            imgs = H.sample_with(model, path, w, wants, steps=args.sample_steps, cfg=args.sample_cfg)
            changes = [dict(H.pair_figures(b, a), family=q["family"]) for b, a, q in zip(base, imgs, wants)]
            s = H.summarize(changes)
            print(H.format_row(f"{name} ({secs:.0f} s)", w, args.families, {args.families: s}), flush=True)
            row = {"name": name, "settings": settings, "cell": cell, "split": args.split, "weight": w,
                   "sample_steps": args.sample_steps, "sample_cfg": args.sample_cfg, **s}
            if args.by_background:
                for bg in dict.fromkeys(q["background"] for q in wants):
                    part = H.summarize([c for c, q in zip(changes, wants) if q["background"] == bg])
                    print(H.format_row(f"{name}, {bg}", w, args.families, {args.families: part}), flush=True)
                    row.setdefault("by_background", {})[bg] = part
            if args.profile:
                prof = np.array([[np.nan if v is None else v for v in H.background_profile(b, a)]
                                 for b, a in zip(base, imgs)])
                row["profile"] = np.nanmean(prof, 0).round(4).tolist()
                print(f"    background change by distance 1..6 px, farther: {row['profile']}", flush=True)
            if args.jsonl:
                with open(args.jsonl, "a") as f:
                    f.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
