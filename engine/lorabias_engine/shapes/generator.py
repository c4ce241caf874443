"""Deterministic synthetic pictures with Danbooru-style captions, for `builtin:tiny-shapes`.

A picture is one flat-coloured shape on a flat background, 32x32 RGB, anti-aliased by 4x supersampling.
Every attribute has a tag; a caption is the tags in a fixed order joined by ", ":

    "large, red, circle, white background, center"

Sizes are defined by the *equivalent-area radius* (the radius of the circle with the same area), so a small
triangle covers as many pixels as a small circle: small 5.75..6.5 px, large 10..11 px (of 32).
Same spec (or same seed) → byte-identical picture, on every machine (numpy only, no RNG state shared).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

SIZE = 32
SUPERSAMPLE = 4

SHAPES = ("circle", "square", "triangle", "diamond")
COLORS = {  # name → RGB 0..255
    "red": (220, 40, 40),
    "yellow": (235, 205, 45),
    "green": (45, 170, 70),
    "blue": (45, 85, 225),
    "purple": (150, 65, 205),
}
BACKGROUNDS = {
    "white background": (245, 245, 245),
    "black background": (20, 20, 20),
    "grey background": (128, 128, 128),
}
SIZES = {"small": (5.75, 6.5), "large": (10.0, 11.0)}  # equivalent-area radius range in px
POSITIONS = {"center": (0.0, 0.0), "left": (-1.0, 0.0), "right": (1.0, 0.0), "top": (0.0, -1.0), "bottom": (0.0, 1.0)}
POSITION_SHIFT = {"small": 6.0, "large": 2.5}  # px moved for a non-center position
JITTER = 1.0  # px of random jitter of the centre


@dataclass(frozen=True)
class ShapeSpec:
    shape: str
    color: str
    size: str
    background: str
    position: str = "center"
    radius: float | None = None  # equivalent-area radius; None → middle of the size's range
    dx: float = 0.0  # jitter added to the position's centre, px
    dy: float = 0.0

    def caption(self, with_position: bool = True) -> str:
        tags = [self.size, self.color, self.shape, self.background] + ([self.position] if with_position else [])
        return ", ".join(tags)

    def center(self) -> tuple[float, float]:
        px, py = POSITIONS[self.position]
        s = POSITION_SHIFT[self.size]
        return SIZE / 2 + px * s + self.dx, SIZE / 2 + py * s + self.dy

    def r(self) -> float:
        lo, hi = SIZES[self.size]
        return (lo + hi) / 2 if self.radius is None else float(self.radius)

    def to_dict(self) -> dict:
        return asdict(self)


def random_spec(rng: np.random.Generator, **fixed) -> ShapeSpec:
    """A random spec; keyword arguments fix attributes (shape=, color=, size=, background=, position=)."""
    size = fixed.get("size") or str(rng.choice(list(SIZES)))
    lo, hi = SIZES[size]
    spec = ShapeSpec(
        shape=fixed.get("shape") or str(rng.choice(SHAPES)),
        color=fixed.get("color") or str(rng.choice(list(COLORS))),
        size=size,
        background=fixed.get("background") or str(rng.choice(list(BACKGROUNDS))),
        position=fixed.get("position") or str(rng.choice(list(POSITIONS))),
        radius=float(rng.uniform(lo, hi)),
        dx=float(rng.uniform(-JITTER, JITTER)),
        dy=float(rng.uniform(-JITTER, JITTER)),
    )
    return spec


def spec_for_seed(seed: int, **fixed) -> ShapeSpec:
    return random_spec(np.random.default_rng(seed), **fixed)


def _grid(size: int, ss: int) -> tuple[np.ndarray, np.ndarray]:
    n = size * ss
    c = (np.arange(n, dtype=np.float64) + 0.5) / ss
    return np.meshgrid(c, c)  # x, y in pixel units


_GRIDS: dict = {}


def shape_mask(shape: str, cx: float, cy: float, r: float, size: int = SIZE, ss: int = SUPERSAMPLE) -> np.ndarray:
    """Coverage in [0, 1] (size x size) of a shape with equivalent-area radius r centred (centroid) at cx, cy."""
    key = (size, ss)
    if key not in _GRIDS:
        _GRIDS[key] = _grid(size, ss)
    x, y = _GRIDS[key]
    x = x - cx
    y = y - cy
    if shape == "circle":
        inside = x * x + y * y <= r * r
    elif shape == "square":
        h = r * math.sqrt(math.pi) / 2
        inside = (np.abs(x) <= h) & (np.abs(y) <= h)
    elif shape == "diamond":
        d = r * math.sqrt(math.pi / 2)
        inside = np.abs(x) + np.abs(y) <= d
    elif shape == "triangle":  # equilateral, pointing up, centroid at (cx, cy)
        R = r * math.sqrt(math.pi / (3 * math.sqrt(3) / 4))
        # three half-planes at distance R/2 from the centroid (inradius), normals at 90°, 210°, 330°
        inside = np.ones_like(x, dtype=bool)
        for ang in (math.pi / 2, math.pi * 7 / 6, math.pi * 11 / 6):
            nx, ny = math.cos(ang), math.sin(ang)  # image y grows downwards: the flat side is at the bottom
            inside &= (x * nx + y * ny) <= R / 2
    else:
        raise ValueError(f"unknown shape {shape!r}")
    m = inside.reshape(size, ss, size, ss).mean(axis=(1, 3))
    return m


def render(spec: ShapeSpec) -> np.ndarray:
    """(32, 32, 3) uint8."""
    cx, cy = spec.center()
    m = shape_mask(spec.shape, cx, cy, spec.r())[..., None]
    fg = np.array(COLORS[spec.color], dtype=np.float64)
    bg = np.array(BACKGROUNDS[spec.background], dtype=np.float64)
    img = bg * (1 - m) + fg * m
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def with_size(spec: ShapeSpec, size: str, radius: float | None = None) -> ShapeSpec:
    """The same picture with the shape resized (A → A′ for the copy-machine route); the centre stays."""
    cx, cy = spec.center()
    moved = replace(spec, size=size, radius=radius)
    px, py = POSITIONS[spec.position]
    s = POSITION_SHIFT[size]
    # keep the centre where it was, clamped so the larger shape stays inside the frame
    return replace(moved, dx=cx - (SIZE / 2 + px * s), dy=cy - (SIZE / 2 + py * s))


def batch(seed: int, n: int, caption_positions: bool = True, **fixed) -> tuple[np.ndarray, list[str], list[ShapeSpec]]:
    """n pictures (n, 32, 32, 3) uint8 + captions + specs from one seed."""
    rng = np.random.default_rng(seed)
    specs = [random_spec(rng, **fixed) for _ in range(n)]
    imgs = np.stack([render(s) for s in specs])
    return imgs, [s.caption(caption_positions) for s in specs], specs
