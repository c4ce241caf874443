"""Full-size SD1.5 and SDXL single-file checkpoints in the layouts users download (A1111/SGM key names, fp16,
with and without EMA keys, baked VAE; random weights built here, nothing downloaded) load and run a whole recipe
— model, two datasets, copier, target, preview, export — through `lorabias run` on the CPU at 64 px.

Minutes, not seconds, and gigabytes: run with `npm run test:full` (not part of `npm test`). The runtime and the
engine's peak memory of each recipe are printed. SDXL needs 19 GB of available memory and is skipped (said so in
the output) when the machine has less."""
from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from ldm_recipe import GB, available_bytes, build, run_recipe  # noqa: E402

CACHE = Path(os.environ.get("LORABIAS_BENCH_CACHE", Path.home() / ".cache" / "lorabias-bench"))
NEEDS = {"sd15": 12 * GB, "sdxl": 19 * GB}


def lora_keys(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        return [k for k in json.loads(fh.read(n)) if k != "__metadata__"]


@pytest.mark.parametrize("family,ema", [("sd15", False), ("sd15", True), ("sdxl", False)],
                         ids=["sd15-fp16-vae", "sd15-fp16-ema-vae", "sdxl-fp16-vae"])
def test_a_whole_recipe_runs_on_a_downloaded_layout_checkpoint(family, ema, tmp_path):
    if available_bytes() < NEEDS[family]:
        pytest.skip(f"{family} needs {NEEDS[family] / GB:.0f} GB of available memory; {available_bytes() / GB:.1f} GB now")
    path, info, build_s = build(CACHE, family, ema=ema)
    run = run_recipe(path, info, f"{family}{' +EMA' if ema else ''}", tmp_path / "work")
    print(f"\n{run.summary()} (checkpoint built in {build_s:.0f} s)")
    assert run.returncode == 0, run.output[-3000:]
    assert "bias copier" in run.output and "export" in run.output
    keys = lora_keys(run.exported)
    unet = [k for k in keys if k.startswith("lora_unet_")]
    assert unet, keys[:5]
    # SDXL LoRAs carry the SGM UNet names the UIs expect; SD1.5 ones diffusers' (as sd-scripts writes them)
    assert any(k.startswith("lora_unet_input_blocks_" if family == "sdxl" else "lora_unet_down_blocks_") for k in unet)
    if family == "sd15":
        assert run.ratio <= 1.3, run.summary()
