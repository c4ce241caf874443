"""Checkpoints: a cancelled run resumes where it stopped and ends with the weights of an uninterrupted run."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from lorabias_engine.errors import Cancelled
from lorabias_engine.protocol import JobContext
from lorabias_engine.train import train

RUN = dict(rank=2, steps=12, lr=5e-3, resolution=32, seed=5, scheduler="cosine", warmup_steps=2)


def test_a_cancelled_run_resumes_to_the_same_result_as_an_uninterrupted_one(tiny, registry, images, tmp_path):
    straight = tmp_path / "straight.safetensors"
    train({"model_id": tiny.model_id, "images": [str(images["a"])], "output": str(straight), **RUN, "save_precision": "float"},
          JobContext("a"), registry)

    out = tmp_path / "resumed.safetensors"
    ctx = JobContext("b")
    ctx.min_interval_s = 0

    def progress(data, force=False):
        if data["step"] == 7:
            ctx.cancel_event.set()
    ctx.progress = progress  # type: ignore[method-assign]
    params = {"model_id": tiny.model_id, "images": [str(images["a"])], "output": str(out), **RUN,
              "checkpoint_every": 3, "save_precision": "float"}
    with pytest.raises(Cancelled):
        train(params, ctx, registry)
    assert not out.exists()
    checkpoint = tmp_path / "resumed.checkpoint.pt"
    assert checkpoint.exists()

    result = train({**params, "resume": True}, JobContext("c"), registry)
    assert result["steps_done"] == 12 and len(result["losses"]) == 12
    assert not checkpoint.exists()  # cleaned up once the final file is written
    a, b = load_file(str(straight)), load_file(str(out))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5), key
