"""The text slider's bar over several training seeds (docs/tiny-shapes.md): reads the --json files of
bench/engine/method_harness.py runs made with `--seeds cell=3,4,11` (results named cell@seed) and prints, for the
slider and the `size` LoRA at each weight, the mean, spread and each seed of size change and colour per unit of
size change (families b+c), then the bar on the means and for each slider seed against the `size` mean.

    .venv/bin/python bench/engine/slider_seeds.py --slider size-text --size size runs/a.json runs/b.json

Both LoRAs must come from the same split; the files say which only through how they were made, so keep the split
in the file name.
"""
from __future__ import annotations

import argparse
import json
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine"))

from lorabias_engine.shapes.harness import SLIDER_BAR  # noqa: E402


def seeds_of(results: dict, name: str) -> dict:
    """{seed: {weight: summary of families b+c}} for the results named name@seed."""
    runs = {k.split("@", 1)[1]: {float(w): by["bc"] for w, by in v.items()}
            for k, v in results.items() if k.split("@", 1)[0] == name and "@" in k}
    return dict(sorted(runs.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else kv[0]))


def spread(values: list) -> str:
    vs = [v for v in values if v is not None]
    if not vs:
        return "—"
    sd = st.stdev(vs) if len(vs) > 1 else 0.0
    return f"{st.mean(vs):.3f} ± {sd:.3f} ({min(vs):.3f}…{max(vs):.3f})"


def mean(values: list):
    vs = [v for v in values if v is not None]
    return st.mean(vs) if len(vs) == len(values) and vs else None


def report(slider: dict, size: dict) -> tuple[str, bool]:
    lines, ok_all = [], True
    for w, need in SLIDER_BAR.items():
        lines.append(f"weight {w:+g}")
        for label, runs in (("slider", slider), ("size", size)):
            sc = [r[w]["size_change"] for r in runs.values()]
            cps = [r[w]["color_per_size"] for r in runs.values()]
            each = ", ".join(f"{s}: {r[w]['size_change']:+.3f} / {r[w]['color_per_size'] or float('nan'):.3f} "
                             f"({r[w]['valid']}/{r[w]['pairs']})" for s, r in runs.items())
            lines.append(f"  {label:6} size {spread(sc)}; colour/size {spread(cps)}  [{each}]")
        ref = mean([r[w]["color_per_size"] for r in size.values()])
        m_sc, m_cps = mean([r[w]["size_change"] for r in slider.values()]), \
            mean([r[w]["color_per_size"] for r in slider.values()])
        size_ok = m_sc is not None and (m_sc >= need if w > 0 else m_sc <= need)
        color_ok = m_cps is not None and ref is not None and m_cps <= ref
        per_seed = []
        for s, r in slider.items():
            sc, cps = r[w]["size_change"], r[w]["color_per_size"]
            ok = sc is not None and (sc >= need if w > 0 else sc <= need) and cps is not None and ref is not None \
                and cps <= ref
            per_seed.append(f"{s} {'holds' if ok else 'fails'}")
        ok_all = ok_all and size_ok and color_ok
        lines.append(f"  mean bar: size {'ok' if size_ok else 'FAILS'}, colour/size {m_cps if m_cps is None else round(m_cps, 3)}"
                     f" vs size {ref if ref is None else round(ref, 3)}: {'ok' if color_ok else 'FAILS'}; "
                     f"per slider seed vs size mean: {', '.join(per_seed)}")
    return "\n".join(lines), ok_all


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slider", default="size-text")
    ap.add_argument("--size", default="size")
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args()
    results: dict = {}
    for f in args.files:
        results.update(json.loads(f.read_text()))
    slider, size = seeds_of(results, args.slider), seeds_of(results, args.size)
    if not slider or not size:
        print(f"need results named {args.slider}@seed and {args.size}@seed (method_harness.py --seeds)")
        return 2
    text, ok = report(slider, size)
    print(text)
    print(f"\ntext slider bar over {len(slider)} slider and {len(size)} size seeds (on the means): "
          f"{'HOLDS' if ok else 'fails'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
