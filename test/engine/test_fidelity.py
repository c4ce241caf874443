"""The bias constraint: a documented score in [0, 1], measured during training, which stops once it holds."""
from __future__ import annotations

import torch

from lorabias_engine import fidelity
from lorabias_engine.protocol import JobContext
from lorabias_engine.train import train


def test_score_is_one_for_the_image_itself_and_falls_with_distance():
    ref = torch.rand(2, 3, 16, 16)
    assert fidelity.score([ref[0], ref[1]], ref) == 1.0
    near, far = (ref[0] + 0.05).clamp(0, 1), (ref[0] + 0.15).clamp(0, 1)
    assert 0 < fidelity.score([far], ref[:1]) < fidelity.score([near], ref[:1]) < 1
    assert fidelity.score([torch.zeros(3, 16, 16)], torch.ones(1, 3, 16, 16)) == 0.0


def test_training_stops_once_the_fidelity_constraint_holds(random_tiny, registry, images, tmp_path):
    res = train({"model_id": random_tiny.model_id, "images": [str(images["a"])], "output": str(tmp_path / "c.safetensors"),
                 "rank": 8, "steps": 300, "lr": 5e-3, "resolution": 32, "train_conv": True, "seed": 1,
                 "until": {"fidelity": 0.05, "every": 25, "seeds": [1, 2], "steps": 10, "cfg": 1.0}},
                JobContext("f"), registry)
    fid = res["fidelity"]
    assert fid["held"] is True and fid["value"] >= 0.05, fid["history"]
    assert res["steps_done"] < 300 and res["steps_done"] % 25 == 0
    assert fid["history"][-1] == {"step": res["steps_done"], "value": fid["value"]}
    assert all(h["value"] < 0.05 for h in fid["history"][:-1])


def test_an_unreachable_constraint_is_reported_as_not_held(random_tiny, registry, images, tmp_path):
    res = train({"model_id": random_tiny.model_id, "images": [str(images["a"])], "output": str(tmp_path / "c.safetensors"),
                 "rank": 2, "steps": 4, "resolution": 32,
                 "until": {"fidelity": 0.99, "every": 2, "seeds": [1], "steps": 3, "cfg": 1.0}}, JobContext("g"), registry)
    assert res["fidelity"]["held"] is False and res["steps_done"] == 4
    assert [h["step"] for h in res["fidelity"]["history"]] == [2, 4]
