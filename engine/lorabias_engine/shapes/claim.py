"""The demo's claim, as functions: train a recipe's LoRA cells (`naive` and `size` of recipes/demo.lorabias, or the
`slider` cell of recipes/text-slider.lorabias — settings read from the recipe itself, so there is one source) and
measure them with the harness.

Used by test/engine/test_tiny_shapes_claim.py (few samples of the test split) and bench/engine/method_harness.py
(the whole harness).
"""
from __future__ import annotations

import time
from pathlib import Path

import yaml

from .analyse import leakage
from .evaluate import prompt_set, sample_batch

ROOT = Path(__file__).resolve().parents[3]
DEMO_RECIPE = ROOT / "recipes" / "demo.lorabias"
TEXT_SLIDER_RECIPE = ROOT / "recipes" / "text-slider.lorabias"
DEMO_DATA = ROOT / "recipes" / "demo-data"
SAMPLE = dict(steps=25, cfg=5.0)
OTHER_COLORS = ("yellow", "green", "blue", "purple")
# recipe key → engine train parameter (the rest of a cell is names, datasets and biases, resolved below)
TRAIN_KEYS = ("rank", "alpha", "steps", "lr", "batch_size", "seed", "scheme", "timesteps", "scheduler", "warmup_steps")
# slider cell keys passed to the engine as they are (extension/core/run/cells/slider.ts: SLIDER_KEYS)
SLIDER_KEYS = ("positive", "negative", "neutral", "guidance", "timesteps", "denoise_steps", "rank", "alpha", "conv_rank",
               "steps", "lr", "scheduler", "warmup_steps", "batch_size", "seed")


def images(folder: Path) -> list[str]:
    return sorted(str(p) for p in Path(folder).glob("*.png"))


def recipe_cells(recipe: Path = DEMO_RECIPE) -> dict[str, dict]:
    """Every named cell of a recipe: {name: {"kind": kind, **body}}."""
    cells = {}
    for chunk in Path(recipe).read_text().split("\n---\n"):
        doc = yaml.safe_load(chunk)
        if isinstance(doc, dict) and len(doc) == 1:
            kind, body = next(iter(doc.items()))
            if isinstance(body, dict) and "name" in body:
                cells[body["name"]] = {"kind": kind, **body}
    return cells


def _numbers(params: dict) -> dict:
    for k in ("lr", "alpha", "guidance"):  # YAML 1.1 (PyYAML) reads 3e-3 as text; the extension's YAML 1.2 a number
        if isinstance(params.get(k), str):
            params[k] = float(params[k])
    return params


def slider_params(cell: dict) -> tuple[dict, list[str]]:
    """The engine parameters of a slider cell (as slider.ts sends them), and the names of the biases it is over."""
    targets = cell["target"] if isinstance(cell["target"], list) else [cell["target"]]
    anchors = [{"prompt": a, "strength": 1.0} if isinstance(a, str) else {"strength": 1.0, **a}
               for a in cell.get("anchors", [])]
    params = _numbers({"targets": [str(t) for t in targets], "anchors": anchors,
                       **{k: cell[k] for k in SLIDER_KEYS if k in cell}})
    return params, [o if isinstance(o, str) else o["bias"] for o in cell.get("over", [])]


def train_params(cells: dict, name: str, recipe_dir: Path) -> tuple[dict, list[str], list[str]]:
    """The engine parameters of a bias/target cell, and the names of the biases it trains over (+ and −)."""
    cell = cells[name]
    folder = lambda ds: recipe_dir / cells[ds]["images"]  # noqa: E731
    params = _numbers({k: cell[k] for k in TRAIN_KEYS if k in cell})
    params["images"] = images(folder(cell["dataset"]))
    if "until" in cell:
        params["until"] = {k: v for k, v in cell["until"].items() if k in ("fidelity", "every", "prompts", "seeds")}
    if cell.get("conv_rank"):
        params["train_conv"] = True
    if "from" in cell:
        by_name = {Path(p).name: p for p in images(folder(cell["from"]))}
        params["pair_images"] = [by_name[Path(p).name] for p in params["images"]]
    over = [o if isinstance(o, str) else o["bias"] for o in cell.get("over", [])]
    return params, over, list(cell.get("negative_over", []))


def train_loras(model, registry, out_dir: Path, recipe: Path = DEMO_RECIPE, names=("naive", "size"), log=print,
                overrides: dict | None = None) -> dict:
    """Train the recipe's cells `names` (and the biases they need), as `lorabias run` would: {name: path}.
    `overrides` {name: {key: value}} replaces settings of a cell (engine parameter names)."""
    from ..protocol import JobContext
    from ..slider import train_slider
    from ..train import train

    cells, out_dir, paths = recipe_cells(recipe), Path(out_dir), {}

    def get(name: str) -> str:
        if name not in paths:
            if cells[name]["kind"] == "slider":
                (params, over), negative, run = slider_params(cells[name]), [], train_slider
            else:
                params, over, negative = train_params(cells, name, Path(recipe).parent)
                run = train
            params.update((overrides or {}).get(name, {}))
            t0 = time.time()
            r = run({"model_id": model.model_id, "resolution": int(model.unet.config.sample_size),
                     "output": str(out_dir / f"{name}.safetensors"), **params,
                     "over": [{"path": get(b), "weight": 1.0} for b in over],
                     **({"negative_over": [{"path": get(b), "weight": 1.0} for b in negative]} if negative else {})},
                    JobContext(name), registry)
            fid = r.get("fidelity")
            log(f"{name}: {time.time() - t0:.1f} s, {r['steps_done']} steps, loss {r['final_loss']:.4f}"
                + ("" if not fid else f", fidelity {fid['value']:.3f} ({'held' if fid['held'] else 'NOT held'})"))
            paths[name] = r["path"]
        return paths[name]

    for n in names:
        get(n)
    return paths


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
    """The first claim's measure (small non-red shapes, colour shift per unit of size change), kept for the record."""
    base = measure(model, None, wants)
    out = {"base": base}
    for name in ("naive", "size"):
        imgs = measure(model, paths[name], wants, weight)
        out[name] = leakage(list(zip(base, imgs)))
        t = out[name]
        log(f"{name:>7} @ {weight:g}: size change {t['size_change']:+.3f}, colour shift {t['color_shift']:.3f}, "
            f"colour per size {t['color_per_size']} ({t['valid']}/{t['pairs']} pairs)")
    return out
