"""The fair test of docs/method.md: train size LoRAs by each scheme on recipes/demo-data, then measure them with
the harness (engine/lorabias_engine/shapes/harness.py) on prompt families (a) opposite size, (b) colour but no
size, (c) neither, at weights +1 and −1 against weight 0.

    .venv/bin/python bench/engine/method_harness.py [--split tuning|test] [--candidates naive,size,...]
                                                    [--families abc] [--json out.json]
    .venv/bin/python bench/engine/method_harness.py --recipe recipes/text-slider.lorabias \
                                                    --cells size-text,size,naive --families bc [--set size-text.guidance=3]

Without --candidates it measures the demo recipe's `naive` and `size` cells (their settings read from
recipes/demo.lorabias) on the test set and prints whether the done-when bar of docs/method.md holds. With
--recipe and --cells it trains those cells of that recipe (as `lorabias run` would, `--set cell.key=json`
overriding an engine parameter) and, for a `slider` cell beside `size`, prints the text slider's bar
(docs/tiny-shapes.md). `--seeds cell=3,4,11` trains a cell once per training seed (measured as cell@3, …);
bench/engine/slider_seeds.py compares the slider's and `size`'s seeds from the --json files. Settings are chosen
on the tuning split; the test split is looked at once per candidate.
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
from lorabias_engine.shapes.claim import DEMO_DATA, images  # noqa: E402
from lorabias_engine.train import train  # noqa: E402

SMALL, LARGE, BIASED = images(DEMO_DATA / "small"), images(DEMO_DATA / "large"), images(DEMO_DATA / "biased")

# name → (settings, needs): the schemes of docs/method.md. `over`/`negative_over` name other candidates.
CANDIDATES = {
    "naive": dict(images=BIASED, rank=4, steps=100, lr=3e-3, batch_size=4, seed=2),
    "copier": dict(images=SMALL, rank=16, train_conv=True, steps=150, lr=3e-3, batch_size=4, seed=1),
    "copier_long": dict(images=SMALL, rank=16, train_conv=True, steps=600, lr=3e-3, batch_size=4, seed=1),
    "copier_large": dict(images=LARGE, rank=16, train_conv=True, steps=600, lr=3e-3, batch_size=4, seed=1),
    "over": dict(images=LARGE, over=["copier"], rank=4, steps=100, lr=3e-3, batch_size=4, seed=2),
    "over_long": dict(images=LARGE, over=["copier_long"], rank=4, steps=100, lr=3e-3, batch_size=4, seed=2),
    "bipolar": dict(images=LARGE, over=["copier_long"], negative_over=["copier_large"], scheme="bipolar",
                    pair_images=SMALL, rank=4, steps=200, lr=3e-3, batch_size=4, seed=2),
    "pairdiff": dict(images=LARGE, scheme="pair-difference", pair_images=SMALL, rank=4, alpha=1, steps=100,
                     lr=3e-3, batch_size=4, seed=2),
    "pairdiff_hi": dict(images=LARGE, scheme="pair-difference", pair_images=SMALL, rank=4, alpha=1, steps=100,
                        lr=3e-3, batch_size=4, seed=2, timesteps=[500, 1000]),
    "pairdiff_strong": dict(images=LARGE, scheme="pair-difference", pair_images=SMALL, rank=4, alpha=4, steps=100,
                            lr=3e-3, batch_size=4, seed=2, timesteps=[500, 1000]),
    "pairdiff_1pair": dict(images=LARGE[:1], scheme="pair-difference", pair_images=SMALL[:1], rank=4, alpha=1,
                           steps=100, lr=3e-3, batch_size=4, seed=2, timesteps=[500, 1000]),
}


def train_all(model, reg, names: list[str], out: Path, extra: dict, log) -> dict:
    paths: dict = {}

    def get(name):
        if name in paths:
            return paths[name]
        spec = dict(CANDIDATES[name], **extra.get(name, {}))
        for key in ("over", "negative_over"):
            if key in spec:
                spec[key] = [{"path": get(b), "weight": 1.0} for b in spec[key]]
        t0 = time.time()
        r = train({"model_id": model.model_id, "resolution": 32, "output": str(out / f"{name}.safetensors"), **spec},
                  JobContext(name), reg)
        log(f"trained {name}: {time.time() - t0:.0f} s, loss {r['final_loss']:.4f}")
        paths[name] = r["path"]
        return r["path"]

    for n in names:
        get(n)
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="test", choices=list(H.SPLITS))
    ap.add_argument("--candidates", default="")
    ap.add_argument("--families", default="abc")
    ap.add_argument("--weights", default="1,-1")
    ap.add_argument("--set", action="append", default=[], help="name.key=json (override a candidate's setting)")
    ap.add_argument("--lora", action="append", default=[], help="name=path: measure an existing LoRA file")
    ap.add_argument("--every", type=int, default=1, help="keep every n-th prompt of each family (a quick look)")
    ap.add_argument("--recipe", type=Path, help="train cells of this recipe (with --cells)")
    ap.add_argument("--cells", default="", help="names of the recipe's LoRA cells to train and measure")
    ap.add_argument("--seeds", action="append", default=[],
                    help="cell=3,4,11: train that cell once per training seed, measured as cell@3, cell@4, …")
    ap.add_argument("--json")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    t0 = time.time()
    reg = Registry()
    model = reg.load({"checkpoint": "builtin:tiny-shapes"})[0]
    extra: dict = {}
    for s in args.set:
        k, v = s.split("=", 1)
        name, key = k.split(".", 1)
        extra.setdefault(name, {})[key] = json.loads(v)
    with tempfile.TemporaryDirectory() as tmp:
        if args.lora:
            loras = dict(x.split("=", 1) for x in args.lora)
        elif args.recipe:
            from lorabias_engine.shapes.claim import train_loras

            names = args.cells.split(",")
            seeds = {c: [int(x) for x in v.split(",")] for c, v in (s.split("=", 1) for s in args.seeds)}
            loras = {}
            for n in names:
                for seed in seeds.get(n, [None]):
                    over = dict(extra, **{n: dict(extra.get(n, {}), **({} if seed is None else {"seed": seed}))})
                    key = n if seed is None else f"{n}@{seed}"
                    loras[key] = train_loras(model, reg, Path(tmp) / key, args.recipe, [n], log=print,
                                             overrides=over)[n]
        elif args.candidates:
            names = args.candidates.split(",")
            paths = train_all(model, reg, names, Path(tmp), extra, print)
            loras = {n: paths[n] for n in names}
        else:
            from lorabias_engine.shapes.claim import train_loras

            p = train_loras(model, reg, Path(tmp), log=print)
            loras = {"naive": p["naive"], "size": p["size"]}
        weights = [float(w) for w in args.weights.split(",")]
        res = H.evaluate(model, loras, weights, tuple(args.families), args.split, log=print, every=args.every)
    print(f"\nsplit {args.split}, families {args.families}, {time.time() - t0:.0f} s\n")
    print(H.table(res))
    if "size" in res and "naive" in res and {1.0, -1.0} <= set(weights):
        b = H.bar(res)
        print(f"\ndone-when bar: {'HOLDS' if b['ok'] else 'fails'} {json.dumps(b['weights'])}")
    if args.recipe and "size" in res and {1.0, -1.0} <= set(weights):
        from lorabias_engine.shapes.claim import recipe_cells

        for name in (n for n, c in recipe_cells(args.recipe).items() if c["kind"] == "slider" and n in res):
            b = H.slider_bar(res, name)
            print(f"\ntext slider bar ({name} vs size): {'HOLDS' if b['ok'] else 'fails'} {json.dumps(b['weights'])}")
    if args.json:
        Path(args.json).write_text(json.dumps({str(k): {str(w): v for w, v in by.items()} for k, by in res.items()},
                                              indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
