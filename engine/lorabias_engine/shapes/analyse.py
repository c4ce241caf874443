"""Read a shapes picture back: background, shape colour, size, kind, area — and the leakage metrics.

Works on the generator's pictures and on samples from `builtin:tiny-shapes` (any H x W, uint8 0..255 or float
0..1, HWC or CHW, numpy or torch). See docs/tiny-shapes.md for the definitions.

- background: the median colour of the 1-pixel border, named by the nearest background of the palette.
- shape pixels: the largest 4-connected region of pixels farther than 0.15 (RGB in 0..1, Euclidean) from the
  background colour; its colour is the median of its "core" (pixels at least 60% as far from the background as
  the 95th percentile), named by the nearest palette colour.
- area: the shape's soft coverage (distance to background / distance of the core colour, clipped to 0..1)
  summed over the region, as a fraction of the picture.
- size: "small" if the equivalent-area radius (scaled to 32 px) is below 8 px, else "large" (the generator
  draws 5.75–6.5 and 10–11). No region of at least 4 px → size "none", colour/shape None.
- shape: the kind whose template (same centroid, same area) overlaps the coverage best (soft IoU).
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from .generator import BACKGROUNDS, COLORS, SHAPES, shape_mask

FG_THRESHOLD = 0.15
SMALL_LARGE_RADIUS = 8.0  # px at 32x32

_PALETTE = {k: np.array(v, dtype=np.float64) / 255 for k, v in COLORS.items()}
_BGS = {k: np.array(v, dtype=np.float64) / 255 for k, v in BACKGROUNDS.items()}


def to_float_hwc(img) -> np.ndarray:
    """Any picture → (H, W, 3) float64 in 0..1."""
    if hasattr(img, "detach"):
        img = img.detach().cpu().float().numpy()
    a = np.asarray(img)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"expected one picture (H, W, 3) or (3, H, W), got shape {a.shape}")
    if a.shape[0] == 3 and a.shape[-1] != 3:
        a = a.transpose(1, 2, 0)
    a = a.astype(np.float64)
    if a.max() > 1.5:
        a = a / 255.0
    return np.clip(a, 0, 1)


def nearest(rgb: np.ndarray, palette: dict) -> tuple[str, float]:
    name = min(palette, key=lambda k: float(np.linalg.norm(palette[k] - rgb)))
    return name, float(np.linalg.norm(palette[name] - rgb))


def _largest_component(mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    best: list = []
    for y0 in range(h):
        for x0 in range(w):
            if not mask[y0, x0] or seen[y0, x0]:
                continue
            comp, q = [], deque([(y0, x0)])
            seen[y0, x0] = True
            while q:
                y, x = q.popleft()
                comp.append((y, x))
                for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                    if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        q.append((ny, nx))
            if len(comp) > len(best):
                best = comp
    out = np.zeros_like(mask, dtype=bool)
    if best:
        ys, xs = zip(*best)
        out[list(ys), list(xs)] = True
    return out


def analyse(img) -> dict:
    a = to_float_hwc(img)
    h, w, _ = a.shape
    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    bg_rgb = np.median(border, axis=0)
    background, _ = nearest(bg_rgb, _BGS)
    d = np.linalg.norm(a - bg_rgb, axis=-1)
    region = _largest_component(d > FG_THRESHOLD)
    res = {"background": background, "background_rgb": bg_rgb.tolist(), "color": None, "rgb": None,
           "color_distance": None, "area": 0.0, "radius": 0.0, "size": "none", "shape": None, "shape_iou": None,
           "centroid": None}
    if region.sum() < 4:
        return res
    dr = d[region]
    core_mask = region & (d >= 0.6 * np.percentile(dr, 95))
    rgb = np.median(a[core_mask], axis=0)
    color, cdist = nearest(rgb, _PALETTE)
    dfg = max(float(np.linalg.norm(rgb - bg_rgb)), 1e-6)
    cov = np.where(region, np.clip(d / dfg, 0, 1), 0.0)
    area = float(cov.sum()) / (h * w)
    radius = math.sqrt(area * 32 * 32 / math.pi)  # equivalent-area radius in px of a 32x32 picture
    ys, xs = np.mgrid[0:h, 0:w]
    cy = float((cov * (ys + 0.5)).sum() / cov.sum())
    cx = float((cov * (xs + 0.5)).sum() / cov.sum())
    r_px = math.sqrt(cov.sum() / math.pi)
    best, best_iou = None, -1.0
    if h == w:
        for kind in SHAPES:
            t = shape_mask(kind, cx, cy, r_px, size=h, ss=2)
            iou = float(np.minimum(t, cov).sum() / max(np.maximum(t, cov).sum(), 1e-9))
            if iou > best_iou:
                best, best_iou = kind, iou
    res.update(color=color, rgb=rgb.tolist(), color_distance=cdist, area=area, radius=radius,
               size="small" if radius < SMALL_LARGE_RADIUS else "large", shape=best, shape_iou=best_iou,
               centroid=[cx, cy])
    return res


# ---- leakage: what a LoRA changes per unit of what it should change ---------------------------------------

def pair_change(before, after) -> dict:
    """One prompt x seed: the picture at LoRA weight 0 and at weight w.

    size_change: relative shape-area change (A_w - A_0) / A_0.
    color_shift: Euclidean distance between the shape colours (RGB 0..1) — what a size LoRA should not change.
    red_shift: the change of the colour's projection on the direction grey → red (signed, for the demo's bias).
    """
    a0 = before if isinstance(before, dict) else analyse(before)
    a1 = after if isinstance(after, dict) else analyse(after)
    if a0["rgb"] is None or a1["rgb"] is None or a0["area"] <= 0:
        return {"valid": False, "size_change": None, "color_shift": None, "red_shift": None,
                "background_changed": a0["background"] != a1["background"]}
    c0, c1 = np.array(a0["rgb"]), np.array(a1["rgb"])
    red = _PALETTE["red"] - 0.5
    red = red / np.linalg.norm(red)
    return {"valid": True, "size_change": (a1["area"] - a0["area"]) / a0["area"],
            "color_shift": float(np.linalg.norm(c1 - c0)), "red_shift": float((c1 - c0) @ red),
            "color_changed": a0["color"] != a1["color"], "background_changed": a0["background"] != a1["background"],
            "shape_changed": a0["shape"] != a1["shape"], "area_before": a0["area"], "area_after": a1["area"]}


def leakage(pairs) -> dict:
    """Over (before, after) pairs: mean size change, mean colour shift, and colour shift per unit of size change
    (mean colour shift / mean size change; None if the mean size change is ≤ 0.05, i.e. the LoRA did nothing)."""
    changes = [pair_change(b, a) for b, a in pairs]
    ok = [c for c in changes if c["valid"]]
    if not ok:
        return {"pairs": len(changes), "valid": 0, "size_change": None, "color_shift": None, "red_shift": None,
                "color_per_size": None, "color_changed": None, "details": changes}
    size = float(np.mean([c["size_change"] for c in ok]))
    color = float(np.mean([c["color_shift"] for c in ok]))
    return {"pairs": len(changes), "valid": len(ok), "size_change": size, "color_shift": color,
            "red_shift": float(np.mean([c["red_shift"] for c in ok])),
            "color_per_size": color / size if size > 0.05 else None,
            "color_changed": float(np.mean([c["color_changed"] for c in ok])),
            "background_changed": float(np.mean([c["background_changed"] for c in ok])),
            "details": changes}
