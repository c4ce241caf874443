"""Memory benchmark: peak memory and wall time of a whole recipe (model, two datasets, copier, target, preview,
export) on full-size SD1.5 and SDXL single-file checkpoints with random weights in the layouts users download
(A1111/SGM key names, fp16, baked VAE; SD1.5 also with EMA keys), through `lorabias run` on the CPU at 64 px.

    .venv/bin/python bench/engine/memory.py [sd15] [sd15-ema] [sdxl]
    (default: $LORABIAS_BENCH_MEMORY, else "sd15 sd15-ema"; `npm run bench` runs the default, so
    LORABIAS_BENCH_MEMORY="sd15 sdxl" npm run bench adds SDXL)

Each run needs free memory: SD1.5 12 GB available, SDXL 19 GB (checked before it starts; skipped with a message
otherwise). The checkpoints are built once into $LORABIAS_BENCH_CACHE (default ~/.cache/lorabias-bench) and kept.
Target (docs/benchmarks.md): SD1.5 peak ≤ 1.3x one fp32 copy of the model; SDXL runs to the end on 24 GB."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "test" / "fixtures"))
from ldm_recipe import GB, available_bytes, build, run_recipe  # noqa: E402

NEEDS = {"sd15": 12 * GB, "sd15-ema": 12 * GB, "sdxl": 19 * GB}


def main(which: list[str]) -> int:
    cache = Path(os.environ.get("LORABIAS_BENCH_CACHE", Path.home() / ".cache" / "lorabias-bench"))
    failed = 0
    for name in which:
        family, ema = name.split("-")[0], name.endswith("-ema")
        have = available_bytes()
        if have < NEEDS[name]:
            print(f"{name}: skipped — needs {NEEDS[name] / GB:.0f} GB of available memory, {have / GB:.1f} GB available now")
            continue
        path, info, build_s = build(cache, family, ema=ema)
        if build_s:
            print(f"{name}: built {path.name} ({path.stat().st_size / GB:.2f} GB) in {build_s:.0f} s")
        with tempfile.TemporaryDirectory(prefix=f"lorabias-bench-mem-{name}-") as tmp:
            run = run_recipe(path, info, name, Path(tmp) / "work")
            print(run.summary() + ("" if run.returncode == 0 else f" — FAILED (exit {run.returncode})"))
            if run.returncode != 0:
                failed += 1
                print("\n".join(run.output.splitlines()[-25:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or os.environ.get("LORABIAS_BENCH_MEMORY", "sd15 sd15-ema").split()))
