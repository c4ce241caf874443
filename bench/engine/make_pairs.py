"""Pair sets for bench/engine/method_sweep.py's `data=DIR` (docs/method.md section 6): DIR/small (A) and DIR/large
(A′), same file names and captions (colour, shape, background; no size), every shape × background per rung,
colours cycling through the palette, shapes centred.

    .venv/bin/python bench/engine/make_pairs.py OUT [RUNGS]

RUNGS is a comma-separated list of radius pairs r:r′ (equivalent-area radius in px of 32); the default
`6.125:10.5,6.125:10.5` is "24 pairs" of the notebook (the generator's small → large, twice); `6.1:10.5,9.5:13.5` is
its "ladder", `4.5:6.5,6.5:9.5,9.5:13` its "ladder of 3". Without arguments it writes the default to a
temporary folder and prints where.
"""
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine"))
from PIL import Image  # noqa: E402

from lorabias_engine.shapes.generator import BACKGROUNDS, COLORS, SHAPES, ShapeSpec, render  # noqa: E402


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="lorabias-pairs-"))
    rungs = [tuple(map(float, r.split(":"))) for r in (sys.argv[2] if len(sys.argv) > 2 else "6.125:10.5,6.125:10.5").split(",")]
    colors, k, j = list(COLORS), 0, 0
    for r0, r1 in rungs:
        for shape in SHAPES:
            for bg in BACKGROUNDS:
                a = ShapeSpec(shape, colors[k % len(colors)], "small", bg, radius=r0)
                k += 1
                for sub, spec in (("small", a), ("large", replace(a, radius=r1))):
                    (out / sub).mkdir(parents=True, exist_ok=True)
                    Image.fromarray(render(spec)).save(out / sub / f"pair{j:02d}.png")
                    (out / sub / f"pair{j:02d}.txt").write_text(f"{a.color}, {a.shape}, {a.background}\n")
                j += 1
    print(f"{out}: {j} pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
