"""The pair-difference scheme's trajectory loss (lorabias_engine/trajectory.py): its background mask, and that
the loss, on the fixed-random-weight tiny model, actually holds the background along the sampler's path."""
from __future__ import annotations

import pytest
import torch

from lorabias_engine.errors import EngineError
from lorabias_engine.lora import activate, apply_lora_file, remove_adapters
from lorabias_engine.protocol import JobContext
from lorabias_engine.train import train
from lorabias_engine.train_config import TrajectoryConfig
from lorabias_engine.trajectory import Trajectory, background_mask

CAPTION = "blue, circle, white background"  # the caption of conftest.py's `pair`


def test_the_background_mask_is_where_both_pictures_are_far_from_their_shapes():
    a = torch.full((1, 3, 16, 16), 0.8)
    b = a.clone()
    a[:, :, 4:7, 4:7] = -0.8  # a 3×3 shape in a, another in b
    b[:, :, 10:12, 10:12] = -0.8
    m = background_mask(a, b)[0, 0]
    assert m.shape == (16, 16) and set(m.unique().tolist()) == {0.0, 1.0}
    assert m[5, 5] == 0 and m[3, 3] == 0 and m[2, 2] == 1  # the shape and its 1-px rim are out
    assert m[11, 11] == 0 and m[9, 9] == 0 and m[0, 15] == 1
    assert int((m == 0).sum()) == 25 + 16


def train_pair(model, registry, tmp_path, pair, **kw):
    return train({"model_id": model.model_id, "resolution": 32, "rank": 2, "steps": 6, "lr": 2e-2, "batch_size": 1,
                  "seed": 3, "output": str(tmp_path / "t.safetensors"), "images": [pair["a2"]],
                  "pair_images": [pair["a"]], "scheme": "pair-difference", **kw}, JobContext("t"), registry)


def measured(model, path: str, tcfg: TrajectoryConfig) -> float:
    """The trained LoRA's masked background difference on fixed noise (both signs), as the loss defines it."""
    apply_lora_file(model, path, "target", 1.0)
    try:
        activate(model, ["target"])
        tr = Trajectory(tcfg, model, model.unet, "target", 32, 0, [CAPTION])
        noise = torch.randn((4, 3, 32, 32), generator=torch.Generator().manual_seed(11))
        idx = torch.zeros(4, dtype=torch.long)
        return tr.measure(1.0, noise, idx) + tr.measure(-1.0, noise, idx)
    finally:
        remove_adapters(model, ["target"])


def test_the_trajectory_loss_holds_the_background_the_plain_scheme_changes(random_tiny, registry, tmp_path, pair):
    # the random model draws no shapes on a plain background: the threshold takes every pixel as background
    kw = dict(trajectory_steps=3, trajectory_grad="all", trajectory_cfg=3.0, trajectory_threshold=100.0)
    plain = train_pair(random_tiny, registry, tmp_path / "p", pair)
    held = train_pair(random_tiny, registry, tmp_path / "h", pair, trajectory_weight=300.0, **kw)
    assert plain["trajectory_losses"] is None
    tl = held["trajectory_losses"]
    assert len(tl) == 6 and tl[0] == 0.0  # a zero-initialised LoRA changes nothing at first
    tcfg = TrajectoryConfig(weight=1.0, steps=3, cfg=3.0, threshold=100.0)
    before, after = measured(random_tiny, plain["path"], tcfg), measured(random_tiny, held["path"], tcfg)
    assert before > 1e-5, "the plain pair-difference LoRA did not move the background: nothing to hold"
    assert after < 0.5 * before, (before, after)


@pytest.mark.parametrize("bad, message", [
    ({"trajectory_weight": -1}, "trajectory_weight must be >= 0"),
    ({"trajectory_weight": 1, "scheme": "bipolar"}, "trajectory_weight is a loss of scheme 'pair-difference'"),
    ({"trajectory_weight": 1, "trajectory_grad": "sideways"}, "trajectory_grad"),
    ({"trajectory_weight": 1, "trajectory_prompts": [3]}, "trajectory_prompts"),
])
def test_bad_trajectory_parameters_are_refused_with_a_message(random_tiny, registry, tmp_path, pair, bad, message):
    with pytest.raises(EngineError, match=message):
        train_pair(random_tiny, registry, tmp_path, pair, **bad)
