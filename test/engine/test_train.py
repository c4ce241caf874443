"""The method on the tiny model: a copier locks the model onto A; a target trained over it learns only A′ − A."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import EDIT_REGION
from lorabias_engine import lora
from lorabias_engine.protocol import JobContext
from lorabias_engine.sample import generate
from lorabias_engine.train import train

PROMPTS = ["a red disc", "a photo of something"]
SEEDS = [11, 12, 13, 14]
# These tests use the tiny architecture with fixed random weights (see conftest.random_tiny). With random weights a
# copier needs LoRA on the convs too (LoCon): attention-only LoRA cannot draw a fixed layout from noise in a random
# network that small.
COPIER = dict(rank=8, steps=150, lr=5e-3, resolution=32, train_conv=True, seed=1, batch_size=2)


def pixels(path) -> torch.Tensor:
    from PIL import Image

    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)


def samples(model, loras, prompts=PROMPTS, seeds=SEEDS) -> list[torch.Tensor]:
    with lora.loras_applied(model, loras, "t") as names:
        lora.activate(model, names)
        return [generate(model, p, s, steps=10, cfg=1.0, width=32, height=32) for p in prompts for s in seeds]


def mse(images, ref) -> float:
    return float(np.mean([((im - ref) ** 2).mean().item() for im in images]))


@pytest.fixture(scope="module")
def copier(random_tiny, registry, images, tmp_path_factory):
    out = tmp_path_factory.mktemp("copier") / "copier.safetensors"
    result = train({"model_id": random_tiny.model_id, "images": [str(images["a"])], "output": str(out), **COPIER},
                   JobContext("copier"), registry)
    return out, result


def test_a_copier_trained_on_a_makes_samples_twice_as_close_to_a(random_tiny, copier, images):
    a = pixels(images["a"])
    before = mse(samples(random_tiny, []), a)
    after = mse(samples(random_tiny, [{"path": str(copier[0]), "weight": 1.0}]), a)
    assert after * 2 <= before, f"MSE to A before {before:.4f}, after {after:.4f}"


def test_training_is_seeded_and_reproducible(random_tiny, registry, images, tmp_path):
    runs = []
    for name in ("one", "two"):
        res = train({"model_id": random_tiny.model_id, "images": [str(images["a"])], "output": str(tmp_path / f"{name}.safetensors"),
                     "rank": 2, "steps": 6, "lr": 1e-3, "resolution": 32, "seed": 7, "noise_offset": 0.05,
                     "min_snr_gamma": 5.0}, JobContext(name), registry)
        runs.append(res["losses"])
    assert runs[0] == runs[1]


def test_the_bias_lora_is_not_part_of_the_result_and_the_model_is_left_clean(random_tiny, copier, registry, images, tmp_path):
    from safetensors import safe_open

    out = tmp_path / "target.safetensors"
    train({"model_id": random_tiny.model_id, "images": [str(images["a_edited"])], "output": str(out), "rank": 2, "steps": 3,
           "resolution": 32, "over": [{"path": str(copier[0]), "weight": 0.7}]}, JobContext("t"), registry)
    with safe_open(str(copier[0]), "pt") as fh:
        copier_keys = set(fh.keys())
    with safe_open(str(out), "pt") as fh:
        target_keys = set(fh.keys())
        meta = fh.metadata()
    assert not any("resnets" in k for k in target_keys)  # the copier's LoCon modules did not leak in
    assert any("resnets" in k for k in copier_keys)
    assert '"multiplier": 0.7' in meta["lorabias_bias_loras"]
    assert not lora._lora_layers(random_tiny.unet), "adapters must be taken off the cached model after a request"
    assert "base_layer" not in "".join(random_tiny.unet.state_dict())


@pytest.fixture(scope="module")
def slider(random_tiny, copier, registry, images, tmp_path_factory):
    out = tmp_path_factory.mktemp("slider") / "slider.safetensors"
    train({"model_id": random_tiny.model_id, "images": [str(images["a_edited"])], "output": str(out), **COPIER,
           "over": [{"path": str(copier[0]), "weight": 1.0}]}, JobContext("target"), registry)
    return out


def test_a_target_trained_over_the_copier_makes_samples_close_to_the_edited_image(random_tiny, copier, slider, images):
    a, a_edit = pixels(images["a"]), pixels(images["a_edited"])
    both = samples(random_tiny, [{"path": str(copier[0]), "weight": 1.0}, {"path": str(slider), "weight": 1.0}])
    assert mse(both, a_edit) < mse(both, a), "copier + target should reproduce A′ rather than A"
    inside = torch.zeros(32, 32, dtype=torch.bool)
    inside[EDIT_REGION(32)] = True
    # the edited region in particular moved from A to A′
    err_edit = np.mean([((im - a_edit) ** 2).mean(0)[inside].mean().item() for im in both])
    err_orig = np.mean([((im - a) ** 2).mean(0)[inside].mean().item() for im in both])
    assert err_edit * 2 <= err_orig, f"in the edited region: error to A′ {err_edit:.4f}, to A {err_orig:.4f}"


# The target used alone on the base model is tested on the trained tiny-shapes model (test_target_alone.py): with
# these random weights, which cannot draw anything, a target alone changes the whole picture (ratio ≈ 1.0).


def test_cached_text_embeddings_go_through_a_bias_loras_text_encoder_modules(random_tiny, registry, images, tmp_path):
    bias = tmp_path / "te-bias.safetensors"
    train({"model_id": random_tiny.model_id, "images": [str(images["a"])], "output": str(bias), "rank": 4, "steps": 4,
           "lr": 5e-2, "resolution": 32, "train_text_encoder": True, "save_precision": "float"}, JobContext("b"), registry)
    runs = {}
    for cache in (True, False):
        res = train({"model_id": random_tiny.model_id, "images": [str(images["a_edited"])], "rank": 2, "steps": 3,
                     "resolution": 32, "seed": 9, "cache": cache, "over": [{"path": str(bias), "weight": 1.0}],
                     "output": str(tmp_path / f"t-{cache}.safetensors")}, JobContext("t"), registry)
        runs[cache] = res["losses"]
    assert np.allclose(runs[True], runs[False], rtol=1e-4, atol=1e-6)
