"""The fair evaluation harness for size LoRAs on `builtin:tiny-shapes` (docs/method.md).

A size LoRA should change the size of the shape and nothing else, whatever the prompt says. The harness samples
prompt families that give the LoRA every chance to leak:

- (a) ``opposite``: the prompt says the opposite size ("small, blue, circle, white background");
- (b) ``color``: a colour but no size ("blue, circle, white background");
- (c) ``plain``: neither size nor colour ("circle, white background");

each over every shape × background (12 combinations), colours cycling through the whole palette (red included),
at LoRA weight 0 and at each weight asked for, with the same seed. For one LoRA and weight it reports:

- size change: mean relative change of the analysed shape area, (A_w − A_0) / A_0;
- colour shift: mean Euclidean distance between the analysed shape colours (RGB in 0..1);
- background change: mean absolute pixel change (RGB averaged, 0..1) over the pixels that are background in
  both pictures (farther than 1 px from any pixel of either picture's shape region);
- shape change: share of pairs whose analysed shape kind differs;
- each of the last three per unit of size change (÷ |mean size change|; None when |size change| ≤ 0.05).

Prompt sets are split: ``tuning`` (seeds drawn from 7) for choosing settings, ``test`` (seeds drawn from 2026,
two seeds per combination) looked at once per candidate. Pairs without a shape in either picture are counted
as invalid and left out of the means.
"""
from __future__ import annotations

import numpy as np

from .analyse import FG_THRESHOLD, _largest_component, analyse, to_float_hwc
from .generator import BACKGROUNDS, COLORS, SHAPES

FAMILIES = {"a": "opposite size", "b": "colour, no size", "c": "neither size nor colour"}
SPLITS = {"tuning": (7, 1), "test": (2026, 2)}  # rng seed, sampling seeds per shape × background
SAMPLE = dict(steps=25, cfg=5.0, sampler="ddim")  # the demo preview's settings
MIN_SIZE_CHANGE = 0.05


def prompts(family: str, split: str = "test") -> list[dict]:
    """The family's prompts with sampling seeds: every shape × background, colours cycling through the palette."""
    if family not in FAMILIES:
        raise ValueError(f"unknown prompt family {family!r}; use one of {', '.join(FAMILIES)}")
    base_seed, per = SPLITS[split]
    rng = np.random.default_rng([base_seed, ord(family)])
    colors = list(COLORS)
    out = []
    k = int(rng.integers(len(colors)))
    for shape in SHAPES:
        for bg in BACKGROUNDS:
            for _ in range(per):
                color = colors[k % len(colors)]
                k += 1
                tags = {"a": ["small", color, shape, bg], "b": [color, shape, bg], "c": [shape, bg]}[family]
                out.append({"family": family, "prompt": ", ".join(tags), "seed": int(rng.integers(0, 2**31 - 1)),
                            "shape": shape, "background": bg, "color": None if family == "c" else color})
    return out


def _region(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    bg = np.median(border, axis=0)
    return _largest_component(np.linalg.norm(a - bg, axis=-1) > FG_THRESHOLD), bg


def _dilate(m: np.ndarray) -> np.ndarray:
    out = m.copy()
    out[1:] |= m[:-1]
    out[:-1] |= m[1:]
    out[:, 1:] |= m[:, :-1]
    out[:, :-1] |= m[:, 1:]
    return out


def pair_figures(before, after) -> dict:
    """One prompt × seed: the picture at weight 0 and at weight w (any format `analyse` reads)."""
    p0, p1 = to_float_hwc(before), to_float_hwc(after)
    a0, a1 = analyse(p0), analyse(p1)
    r0, _ = _region(p0)
    r1, _ = _region(p1)
    both_bg = ~(_dilate(r0) | _dilate(r1))
    bg_change = float(np.abs(p1 - p0).mean(-1)[both_bg].mean()) if both_bg.any() else None
    valid = a0["rgb"] is not None and a1["rgb"] is not None and a0["area"] > 0
    out = {"valid": valid, "background_change": bg_change, "size_change": None, "color_shift": None,
           "shape_changed": None}
    if valid:
        out.update(size_change=(a1["area"] - a0["area"]) / a0["area"],
                   color_shift=float(np.linalg.norm(np.array(a1["rgb"]) - np.array(a0["rgb"]))),
                   shape_changed=a0["shape"] != a1["shape"])
    return out


def background_profile(before, after, rings: int = 6) -> list:
    """Mean absolute pixel change at chessboard distance 1, 2, … `rings` px from either picture's shape region,
    the last entry everything farther (None where no pixel is that far): where a background change sits."""
    p0, p1 = to_float_hwc(before), to_float_hwc(after)
    near = _region(p0)[0] | _region(p1)[0]
    diff = np.abs(p1 - p0).mean(-1)
    out = []
    for _ in range(rings):
        grown = _dilate8(near)
        ring = grown & ~near
        out.append(float(diff[ring].mean()) if ring.any() else None)
        near = grown
    out.append(float(diff[~near].mean()) if (~near).any() else None)
    return out


def _dilate8(m: np.ndarray) -> np.ndarray:
    out = _dilate(m)
    out[1:, 1:] |= m[:-1, :-1]
    out[1:, :-1] |= m[:-1, 1:]
    out[:-1, 1:] |= m[1:, :-1]
    out[:-1, :-1] |= m[1:, 1:]
    return out


def summarize(changes: list[dict]) -> dict:
    """Means over pairs and the per-unit-of-size-change figures."""
    ok = [c for c in changes if c["valid"]]
    bgs = [c["background_change"] for c in changes if c["background_change"] is not None]
    res = {"pairs": len(changes), "valid": len(ok), "size_change": None, "color_shift": None,
           "background_change": float(np.mean(bgs)) if bgs else None, "shape_change": None,
           "color_per_size": None, "background_per_size": None, "shape_per_size": None}
    if not ok:
        return res
    size = float(np.mean([c["size_change"] for c in ok]))
    res.update(size_change=size, color_shift=float(np.mean([c["color_shift"] for c in ok])),
               shape_change=float(np.mean([c["shape_changed"] for c in ok])))
    if abs(size) > MIN_SIZE_CHANGE:
        for k in ("color", "background", "shape"):
            v = res[{"color": "color_shift", "background": "background_change", "shape": "shape_change"}[k]]
            res[f"{k}_per_size"] = None if v is None else v / abs(size)
    return res


def sample_with(model, lora_path, weight: float, wants: list[dict], **sample) -> list:
    from .. import lora
    from .evaluate import sample_batch

    kw = {**SAMPLE, **sample}
    specs = [] if lora_path is None or weight == 0 else [{"path": str(lora_path), "weight": float(weight)}]
    with lora.loras_applied(model, specs, "harness") as names:
        lora.activate(model, names)
        return list(sample_batch(model, [w["prompt"] for w in wants], [w["seed"] for w in wants], **kw))


def evaluate(model, loras: dict, weights=(1.0, -1.0), families=("a", "b", "c"), split: str = "test",
             log=None, every: int = 1, **sample) -> dict:
    """{lora: {weight: {family | "bc" | "all": summary}}} for LoRA files {name: path}; weight 0 is the base.
    `every` > 1 keeps every n-th prompt of each family (a quick look; the bench uses them all)."""
    wants = [w for f in families for w in prompts(f, split)[::every]]
    base = sample_with(model, None, 0.0, wants, **sample)
    out: dict = {}
    for name, path in loras.items():
        out[name] = {}
        for weight in weights:
            imgs = sample_with(model, path, weight, wants, **sample)
            changes = [dict(pair_figures(b, a), family=w["family"]) for b, a, w in zip(base, imgs, wants)]
            groups = {f: [c for c in changes if c["family"] == f] for f in families}
            groups["bc"] = [c for c in changes if c["family"] in ("b", "c")]
            groups["all"] = changes
            out[name][weight] = {g: summarize(cs) for g, cs in groups.items() if cs}
            if log:
                log(format_row(name, weight, "bc" if groups["bc"] else "all", out[name][weight]))
    return out


def _f(v, spec="{:.3f}") -> str:
    return "—" if v is None else spec.format(v)


def format_row(name: str, weight: float, group: str, res: dict) -> str:
    s = res[group]
    return (f"| {name} | {weight:+g} | {group} | {_f(s['size_change'], '{:+.3f}')} | {_f(s['color_shift'])} | "
            f"{_f(s['background_change'], '{:.4f}')} | {_f(s['shape_change'], '{:.2f}')} | {_f(s['color_per_size'])} | "
            f"{_f(s['background_per_size'], '{:.4f}')} | {_f(s['shape_per_size'], '{:.2f}')} | {s['valid']}/{s['pairs']} |")


TABLE_HEAD = ("| LoRA | weight | prompts | size change | colour shift | background change | shape change | "
              "colour / size | background / size | shape / size | valid |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")


def table(results: dict, groups=("a", "b", "c", "bc")) -> str:
    rows = [TABLE_HEAD]
    for name, by_w in results.items():
        for weight, by_g in by_w.items():
            rows += [format_row(name, weight, g, by_g) for g in groups if g in by_g]
    return "\n".join(rows)


def bar(results: dict, lora: str = "size", naive: str = "naive", group: str = "bc") -> dict:
    """The done-when bar of docs/method.md: at +1 the LoRA grows shapes ≥ +50% and at −1 it shrinks them, with
    colour shift and background change per unit of size change each ≤ 1/3 of the naive LoRA's at that weight."""
    checks = {}
    for w in (1.0, -1.0):
        s, n = results[lora][w][group], results[naive][w][group]
        grows = s["size_change"] is not None and (s["size_change"] >= 0.5 if w > 0 else s["size_change"] < -MIN_SIZE_CHANGE)
        checks[w] = {"size_ok": bool(grows)}
        for k in ("color_per_size", "background_per_size"):
            # a naive LoRA that leaks without changing the size (|size change| ≤ 0.05) leaks infinitely per unit
            naive_v = n[k] if n[k] is not None or n["size_change"] is None else float("inf")
            ok = s[k] is not None and naive_v is not None and s[k] <= naive_v / 3
            checks[w][k] = {"lora": s[k], "naive": naive_v, "ok": ok,
                            "ratio": None if not (s[k] and naive_v) else naive_v / s[k]}
        checks[w]["ok"] = checks[w]["size_ok"] and all(checks[w][k]["ok"] for k in ("color_per_size", "background_per_size"))
    return {"ok": all(c["ok"] for c in checks.values()), "weights": checks}


SLIDER_BAR = {1.0: 0.40, -1.0: -0.25}  # the text slider's bar: its size change at ±1 (docs/tiny-shapes.md)


def slider_bar(results: dict, slider: str, size: str = "size", group: str = "bc") -> dict:
    """The text slider's done-when bar (docs/tiny-shapes.md): at +1 it grows shapes ≥ +40% area and at −1 shrinks
    them ≤ −25%, on prompts that state no size, with a colour shift per unit of size change no worse than the
    image-trained `size` LoRA's at that weight. Also reported, not part of the bar: the pairs that still show a
    shape (`valid`), the slider's and the `size` LoRA's."""
    checks = {}
    for w, need in SLIDER_BAR.items():
        s, ref = results[slider][w][group], results[size][w][group]
        sc = s["size_change"]
        size_ok = sc is not None and (sc >= need if w > 0 else sc <= need)
        cps, ref_cps = s["color_per_size"], ref["color_per_size"]
        color_ok = cps is not None and ref_cps is not None and cps <= ref_cps
        checks[w] = {"size_change": sc, "size_ok": bool(size_ok), "color_per_size": cps, "size_lora": ref_cps,
                     "color_ok": bool(color_ok), "valid": f"{s['valid']}/{s['pairs']}",
                     "size_lora_valid": f"{ref['valid']}/{ref['pairs']}", "ok": bool(size_ok and color_ok)}
    return {"ok": all(c["ok"] for c in checks.values()), "weights": checks}


def preview_leakage(images: list[dict]) -> list[dict]:
    """The preview cell's tiny-shapes figures from sampled files [{path, prompt, seed, weight}]: per weight ≠ 0, the
    summary of `pair_figures` against weight 0 (same prompt and seed)."""
    from PIL import Image

    def load(p):
        return np.asarray(Image.open(p).convert("RGB"))

    base = {(im["prompt"], im["seed"]): im["path"] for im in images if im.get("weight") == 0}
    by_w: dict = {}
    for im in images:
        w = im.get("weight")
        if w is None or w == 0 or (im["prompt"], im["seed"]) not in base:
            continue
        by_w.setdefault(w, []).append(pair_figures(load(base[(im["prompt"], im["seed"])]), load(im["path"])))
    return [{"weight": w, **summarize(cs)} for w, cs in by_w.items()]
