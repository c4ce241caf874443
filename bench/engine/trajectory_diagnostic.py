"""Where does the trajectory loss hold? (docs/method.md section 7.) For LoRA files, the loss's own measure
(engine/lorabias_engine/trajectory.py: the squared difference of the final pictures where both are background,
LoRA at ±1 against off, same noise) on fixed noises, for prompt sets and DDIM step counts:

    .venv/bin/python bench/engine/trajectory_diagnostic.py pd=/tmp/trsweep/pd.safetensors tr=/tmp/trsweep/tr.safetensors
    .venv/bin/python bench/engine/trajectory_diagnostic.py --curve 10 last   # D while training, 40 steps

`--curve λ GRAD` trains the demo's `size` settings for 40 steps with the loss on every step and prints D's mean
over each 5 trajectories per sign (λ 1e-6: the plain pair-difference LoRA, D only watched).

Prompt sets: `train` = the pairs' captions the loss samples on (method_sweep.trajectory_prompts), `pairs-held` =
the other pair captions (they are harness prompts, which the loss never samples on), `harness` = the tuning
split's families (b)+(c), every other prompt (4 DDIM steps only: at 25 that is the harness). Two noises per
prompt. Printed: the mean over prompts × noises, × 10⁴, in latent units ([-1, 1] pixels).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "engine"))
sys.path.insert(0, str(ROOT / "bench" / "engine"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def curve(weight: float, grad: str) -> None:
    import numpy as np

    from lorabias_engine.models.registry import Registry
    from lorabias_engine.protocol import JobContext
    from lorabias_engine.shapes.claim import DEMO_DATA, images
    from lorabias_engine.train import train
    from method_sweep import trajectory_prompts

    reg = Registry()
    model = reg.load({"checkpoint": "builtin:tiny-shapes"})[0]
    large = images(DEMO_DATA / "large")
    r = train({"model_id": model.model_id, "resolution": 32, "images": large, "pair_images": images(DEMO_DATA / "small"),
               "scheme": "pair-difference", "rank": 4, "alpha": 1, "lr": 3e-3, "batch_size": 4, "seed": 2, "steps": 40,
               "output": "/tmp/trajectory-curve.safetensors", "trajectory_weight": weight, "trajectory_grad": grad,
               "trajectory_every": 1, "trajectory_prompts": trajectory_prompts(large)}, JobContext("curve"), reg)
    d = np.array(r["trajectory_losses"]) * 1e4
    print(f"λ {weight}, {grad}: D × 1e4 by 5 trajectories, +1: {d[0::2].reshape(-1, 5).mean(1).round(1).tolist()}, "
          f"−1: {d[1::2].reshape(-1, 5).mean(1).round(1).tolist()}")


def main() -> int:
    import torch

    if sys.argv[1:2] == ["--curve"]:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        curve(float(sys.argv[2]), sys.argv[3])
        return 0

    from lorabias_engine.lora import activate, apply_lora_file, remove_adapters
    from lorabias_engine.models.registry import Registry
    from lorabias_engine.shapes import harness as H
    from lorabias_engine.shapes.claim import DEMO_DATA, images
    from lorabias_engine.train_config import TrajectoryConfig
    from lorabias_engine.trajectory import Trajectory
    from method_sweep import trajectory_prompts

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    model = Registry().load({"checkpoint": "builtin:tiny-shapes"})[0]
    large = images(DEMO_DATA / "large")
    train = trajectory_prompts(large)
    captions = [Path(p).with_suffix(".txt").read_text().strip() for p in large]
    sets = {"train": train, "pairs-held": [c for c in captions if c not in train],
            "harness": [q["prompt"] for f in "bc" for q in H.prompts(f, "tuning")[::2]]}
    noises = 2
    print("| LoRA | steps | w | " + " | ".join(sets) + " |")
    for spec in sys.argv[1:]:
        name, path = spec.split("=", 1)
        apply_lora_file(model, path, "target", 1.0)
        try:
            activate(model, ["target"])
            for steps in (4, 25):
                for sign in (1.0, -1.0):
                    cells = []
                    for set_name, prompts in sets.items():
                        if steps == 25 and set_name == "harness":  # that is the harness itself (method_sweep)
                            cells.append("—")
                            continue
                        tr = Trajectory(TrajectoryConfig(weight=1.0, steps=steps), model, model.unet, "target", 32, 0,
                                        prompts)
                        g = torch.Generator().manual_seed(5)
                        noise = torch.randn((len(prompts) * noises, 3, 32, 32), generator=g)
                        idx = torch.arange(len(prompts)).repeat_interleave(noises)
                        cells.append(f"{1e4 * tr.measure(sign, noise, idx):.1f}")
                    print(f"| {name} | {steps} | {sign:+g} | " + " | ".join(cells) + " |", flush=True)
        finally:
            remove_adapters(model, ["target"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
