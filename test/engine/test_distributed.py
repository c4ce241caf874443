"""Several devices: one training process per device, gradients averaged (DDP). Users start it with
`accelerate launch --multi_gpu`; accelerate launches CPU runs as a single process, so the test uses torchrun, which
sets the same RANK/WORLD_SIZE environment, with the gloo backend."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file


def run_cli(args, cwd, env):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


def test_two_processes_train_one_lora_together_and_rank_0_writes_it(images, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    request = {"checkpoint": "builtin:tiny-shapes", "images": [str(images["a"])], "rank": 2, "steps": 5,
               "resolution": 32, "seed": 3, "lr": 1e-2, "save_precision": "float"}
    single, multi = tmp_path / "single.safetensors", tmp_path / "multi.safetensors"
    for out in (single, multi):
        (tmp_path / f"{out.stem}.json").write_text(json.dumps({**request, "output": str(out)}))
    one = run_cli([sys.executable, "-m", "lorabias_engine.train_cli", "single.json", "--result", "single-result.json"],
                  tmp_path, env)
    assert one.returncode == 0, one.stderr[-2000:]
    torchrun = Path(sys.executable).with_name("torchrun")
    two = run_cli([str(torchrun), "--nproc_per_node", "2", "-m", "lorabias_engine.train_cli",
                   "multi.json", "--result", "multi-result.json"], tmp_path, env)
    assert two.returncode == 0, two.stderr[-2000:]
    assert "rank 1 of 2" in two.stderr and "rank 0 of 2" in two.stderr
    result = json.loads((tmp_path / "multi-result.json").read_text())
    assert result["steps_done"] == 5 and Path(result["path"]) == multi
    a, b = load_file(str(single)), load_file(str(multi))
    assert a.keys() == b.keys()
    ups = [k for k in a if k.endswith("lora_up.weight")]
    # same seed on rank 0, but rank 1's gradients were averaged in, so the weights differ
    assert any(not torch.allclose(a[k], b[k]) for k in ups)
