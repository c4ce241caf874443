"""The demo's claim, as a function: train a naive size LoRA on the biased data and a bias-then-train one over a
copier (recipes/demo-data), sample small non-red shapes at weight 0 and weight w, and measure leakage.

Used by test/engine/test_tiny_shapes_claim.py (on its own prompts and seeds) and for tuning (on the demo's).
The settings mirror recipes/demo.lorabias; keep them in step.
"""
from __future__ import annotations

import time
from pathlib import Path

from .analyse import leakage
from .evaluate import prompt_set, sample_batch

DEMO_DATA = Path(__file__).resolve().parents[3] / "recipes" / "demo-data"

# Mirrors recipes/demo.lorabias.
COPIER = dict(rank=16, alpha=16.0, steps=150, lr=3e-3, train_conv=True, batch_size=4, seed=1)
TARGET = dict(rank=4, alpha=4.0, steps=100, lr=3e-3, batch_size=4, seed=2)
NAIVE = dict(rank=4, alpha=4.0, steps=100, lr=3e-3, batch_size=4, seed=2)
SAMPLE = dict(steps=25, cfg=5.0)
OTHER_COLORS = ("yellow", "green", "blue", "purple")


def images(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.png"))


def train_loras(model, registry, out_dir: Path, data: Path = DEMO_DATA, copier=COPIER, target=TARGET, naive=NAIVE,
                log=print) -> dict:
    from ..protocol import JobContext
    from ..train import train

    out_dir = Path(out_dir)
    res = {}
    t0 = time.time()
    common = {"model_id": model.model_id, "resolution": int(model.unet.config.sample_size)}
    res["copier"] = train({**common, "images": images(data / "small"), "output": str(out_dir / "copier.safetensors"),
                           **copier}, JobContext("copier"), registry)
    log(f"copier: {time.time() - t0:.1f} s, loss {res['copier']['final_loss']:.4f}")
    t0 = time.time()
    res["target"] = train({**common, "images": images(data / "large"), "output": str(out_dir / "size.safetensors"),
                           "over": [{"path": res["copier"]["path"], "weight": 1.0}], **target},
                          JobContext("target"), registry)
    log(f"target over copier: {time.time() - t0:.1f} s")
    t0 = time.time()
    res["naive"] = train({**common, "images": images(data / "biased"), "output": str(out_dir / "naive.safetensors"),
                          **naive}, JobContext("naive"), registry)
    log(f"naive: {time.time() - t0:.1f} s")
    return {k: v["path"] for k, v in res.items()}


def small_prompts(n: int, seed: int) -> list[dict]:
    return prompt_set(n, seed, size="small", colors=OTHER_COLORS)


def measure(model, lora_path: str | None, wants: list[dict], weight: float = 1.0, **sample) -> list:
    from .. import lora

    kw = {**SAMPLE, **sample}
    specs = [] if lora_path is None else [{"path": str(lora_path), "weight": weight}]
    with lora.loras_applied(model, specs, "claim") as names:
        lora.activate(model, names)
        return list(sample_batch(model, [w["prompt"] for w in wants], [w["seed"] for w in wants], **kw))


def claim(model, paths: dict, wants: list[dict], weight: float = 1.0, log=print) -> dict:
    base = measure(model, None, wants)
    out = {"base": base}
    for name in ("naive", "target"):
        imgs = measure(model, paths[name], wants, weight)
        out[name] = leakage(list(zip(base, imgs)))
        out[name + "_images"] = imgs
        t = out[name]
        log(f"{name:>7} @ {weight:g}: size change {t['size_change']:+.3f}, colour shift {t['color_shift']:.3f}, "
            f"red shift {t['red_shift']:+.3f}, colour per size {t['color_per_size']}, "
            f"colour name changed {t['color_changed']:.0%} ({t['valid']}/{t['pairs']} pairs)")
    return out
