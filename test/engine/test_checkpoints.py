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

    again, seen = JobContext("c"), []
    again.progress = lambda data, force=False: seen.append(data["step"])  # type: ignore[method-assign]
    result = train({**params, "resume": True}, again, registry)
    assert seen[0] == 7, "the resumed run starts after the checkpoint's step 6, not from the beginning"
    assert result["steps_done"] == 12 and len(result["losses"]) == 12
    assert not checkpoint.exists()  # cleaned up once the final file is written
    a, b = load_file(str(straight)), load_file(str(out))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5), key


SLIDER = dict(targets=["a disc", "a square"], positive="a big {target}", negative="a tiny {target}", guidance=2.0,
              anchors=["a green square"], rank=2, steps=8, lr=5e-3, seed=5, scheduler="cosine", warmup_steps=2,
              denoise_steps=4, save_precision="float")


def test_a_cancelled_slider_resumes_to_the_same_result_as_an_uninterrupted_one(random_tiny, registry, tmp_path):
    from lorabias_engine.slider import train_slider

    quiet = JobContext("a")
    quiet.progress = lambda data, force=False: None  # type: ignore[method-assign]
    straight = tmp_path / "straight.safetensors"
    whole = train_slider({"model_id": random_tiny.model_id, "output": str(straight), **SLIDER}, quiet, registry)

    out = tmp_path / "resumed.safetensors"
    ctx = JobContext("b")

    def progress(data, force=False):
        if data["step"] == 5:
            ctx.cancel_event.set()
    ctx.progress = progress  # type: ignore[method-assign]
    params = {"model_id": random_tiny.model_id, "output": str(out), **SLIDER, "checkpoint_every": 2}
    with pytest.raises(Cancelled):
        train_slider(params, ctx, registry)
    assert not out.exists()
    checkpoint = tmp_path / "resumed.checkpoint.pt"
    assert checkpoint.exists() and torch.load(str(checkpoint), weights_only=True)["step"] == 4

    again, seen = JobContext("c"), []
    again.progress = lambda data, force=False: seen.append(data["step"])  # type: ignore[method-assign]
    result = train_slider({**params, "resume": True}, again, registry)
    assert seen[0] == 5, "the resumed run starts after the checkpoint's step 4, not from the beginning"
    assert result["steps_done"] == 8 and result["losses"] == whole["losses"]
    assert result["anchor_losses"] == whole["anchor_losses"]
    assert not checkpoint.exists()
    a, b = load_file(str(straight)), load_file(str(out))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5), key
