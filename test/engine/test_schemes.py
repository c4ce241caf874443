"""Training schemes of a target (lorabias_engine/schemes.py): the pair-difference target's arithmetic, and that
every scheme trains through the real train request and refuses what it cannot do."""
from __future__ import annotations

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from lorabias_engine.errors import EngineError
from lorabias_engine.models.schedulers import training_scheduler
from lorabias_engine.protocol import JobContext
from lorabias_engine.schemes import outside_weights, shifted_target
from lorabias_engine.train import train


@pytest.mark.parametrize("pred", ["epsilon", "v_prediction", "sample"])
def test_the_shifted_target_denoises_to_the_base_estimate_moved_by_the_pair_difference(pred):
    from diffusers import DDPMScheduler

    ns = DDPMScheduler(beta_schedule="squaredcos_cap_v2", prediction_type=pred)
    g = torch.Generator().manual_seed(0)
    a, a2, noise, base = (torch.randn(2, 3, 8, 8, generator=g) for _ in range(4))
    t = torch.tensor([100, 800])
    alpha = ns.alphas_cumprod[t].sqrt().view(-1, 1, 1, 1)
    sigma = (1 - ns.alphas_cumprod[t]).sqrt().view(-1, 1, 1, 1)
    xa, xa2 = ns.add_noise(a, noise, t), ns.add_noise(a2, noise, t)

    def x0(x_t, p):  # the denoised estimate a prediction implies
        return {"epsilon": (x_t - sigma * p) / alpha, "v_prediction": alpha * x_t - sigma * p, "sample": p}[pred]

    want = shifted_target(pred, base, a2 - a, sigma)
    assert torch.allclose(x0(xa2, want), x0(xa, base) + (a2 - a), atol=1e-4)


def run(model, registry, tmp_path, **kw):
    return train({"model_id": model.model_id, "resolution": 32, "rank": 2, "steps": 4, "lr": 1e-2, "batch_size": 2,
                  "output": str(tmp_path / "t.safetensors"), **kw}, JobContext("t"), registry)


@pytest.mark.parametrize("scheme", ["pair-difference", "bipolar"])
def test_a_pair_scheme_trains_a_lora(random_tiny, registry, tmp_path, pair, scheme):
    over = {}
    if scheme == "bipolar":
        copier = run(random_tiny, registry, tmp_path / "c", images=[pair["a2"]])
        over = {"negative_over": [{"path": copier["path"], "weight": 1.0}]}
    r = run(random_tiny, registry, tmp_path, images=[pair["a2"]], pair_images=[pair["a"]], scheme=scheme,
            timesteps=[500, 1000], **over)
    assert r["steps_done"] == 4 and all(l == l and l > 0 for l in r["losses"])
    ups = [v for k, v in load_file(r["path"]).items() if k.endswith("lora_up.weight")]
    assert ups and any(v.abs().sum() > 0 for v in ups), "the LoRA learnt nothing"
    assert not [n for n, _ in random_tiny.unet.named_modules() if "lora_" in n], "adapters left on the cached model"


def test_the_timestep_window_changes_the_result(random_tiny, registry, tmp_path, pair):
    a = run(random_tiny, registry, tmp_path / "x", images=[pair["a2"]], pair_images=[pair["a"]], scheme="pair-difference")
    b = run(random_tiny, registry, tmp_path / "y", images=[pair["a2"]], pair_images=[pair["a"]], scheme="pair-difference",
            timesteps=[900, 1000])
    assert a["losses"] != b["losses"]


def test_outside_weights_are_one_where_the_pair_differs_and_the_weight_elsewhere(pair):
    import numpy as np

    a, a2 = (torch.from_numpy(np.asarray(Image.open(pair[k]), dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
             for k in ("a", "a2"))
    w = outside_weights(a2, a, 5.0)[0, 0]
    differs = (a2 - a).abs().amax(1)[0] > 0.2
    assert w.shape == (32, 32) and set(w.unique().tolist()) == {1.0, 5.0}
    assert bool((w[differs] == 1).all()), "a pixel the pair changes is weighted as outside"
    # the corner is background in both and the centre blue in both: unchanged; 8 px out, the circle grew
    assert w[0, 0] == 5 and w[16, 16] == 5 and w[16, 24] == 1
    assert 0.2 < float((w == 1).float().mean()) < 0.45  # the ring from r 6.1 to 10.5 px (229 of 1024 px), 1-px rims


def test_the_outside_weight_changes_the_training_and_one_is_the_plain_mean(random_tiny, registry, tmp_path, pair):
    kw = dict(images=[pair["a2"]], pair_images=[pair["a"]], scheme="pair-difference")
    plain = run(random_tiny, registry, tmp_path / "x", **kw)
    one = run(random_tiny, registry, tmp_path / "y", outside_weight=1, **kw)
    heavy = run(random_tiny, registry, tmp_path / "z", outside_weight=8, **kw)
    assert one["losses"] == plain["losses"]
    assert heavy["losses"] != plain["losses"] and heavy["losses"][0] > plain["losses"][0]


@pytest.mark.parametrize("bad, message", [
    ({"outside_weight": 4}, "outside_weight.*needs scheme"),
    ({"outside_weight": 0}, "outside_weight must be above 0"),
    ({"scheme": "pair-difference"}, "pair_images"),
    ({"scheme": "pair-difference", "pair_images": []}, "pair_images"),
    ({"scheme": "sideways"}, "scheme"),
    ({"timesteps": [800, 200]}, "timesteps"),
])
def test_bad_scheme_parameters_are_refused_with_a_message(random_tiny, registry, tmp_path, pair, bad, message):
    with pytest.raises(EngineError, match=message):
        run(random_tiny, registry, tmp_path, images=[pair["a2"]], **bad)
