"""Text sliders (lorabias_engine/slider.py) on the tiny architecture with fixed random weights: the loss pulls the
LoRA toward neutral ± η·(positive − negative), anchors hold their prompts' predictions, and the file is a kohya
LoRA with the slider's provenance."""
from __future__ import annotations

import json

import pytest
import torch

from lorabias_engine import lora
from lorabias_engine.errors import EngineError
from lorabias_engine.export import export
from lorabias_engine.protocol import JobContext
from lorabias_engine.slider import train_slider

TARGET, POSITIVE, NEGATIVE = "a disc", "a big red disc", "a tiny blue disc"
ANCHOR = "a green square on white"
ETA = 2.0
T_EVAL = 999  # the window [999, 1000] makes x_t pure noise, so the test can draw the same kind of x_t itself


def quiet(name: str) -> JobContext:
    ctx = JobContext(name)
    ctx.progress = lambda data, force=False: None  # type: ignore[method-assign]
    return ctx


def slider(model, registry, out, **extra) -> dict:
    params = {"model_id": model.model_id, "output": str(out), "targets": [TARGET], "positive": POSITIVE,
              "negative": NEGATIVE, "guidance": ETA, "rank": 4, "steps": 3, "lr": 1e-3, "seed": 5,
              "timesteps": [T_EVAL, 1000], "denoise_steps": 4, **extra}
    return train_slider(params, quiet(out.stem), registry)


@torch.no_grad()
def predictions(model, lora_path, weight, prompts, noise) -> dict[str, torch.Tensor]:
    """The model's output at t = 999 on `noise` for each prompt, with the LoRA file at `weight` (None: base)."""
    specs = [] if lora_path is None else [{"path": str(lora_path), "weight": weight}]
    with lora.loras_applied(model, specs, "probe") as names:
        lora.activate(model, names)
        out = {}
        for p in prompts:
            text, _ = model.encode_prompts([p] * noise.shape[0])
            out[p] = model.unet(noise, torch.tensor(T_EVAL), text).sample.float()
        return out


@pytest.fixture(scope="module")
def noise():
    return torch.randn((8, 3, 32, 32), generator=torch.Generator().manual_seed(123))


def test_a_step_moves_the_lora_at_plus_one_toward_neutral_plus_eta_direction_and_at_minus_one_away(
        random_tiny, registry, tmp_path, noise):
    base = predictions(random_tiny, None, 0, [TARGET, POSITIVE, NEGATIVE], noise)
    direction = ETA * (base[POSITIVE] - base[NEGATIVE])
    res = slider(random_tiny, registry, tmp_path / "s.safetensors")
    assert res["steps_done"] == 3 and len(res["losses"]) == 3
    for sign in (1.0, -1.0):
        target = base[TARGET] + sign * direction  # neutral defaults to the target prompt itself
        after = predictions(random_tiny, res["path"], sign, [TARGET], noise)[TARGET]
        before_dist = float((base[TARGET] - target).pow(2).mean())
        after_dist = float((after - target).pow(2).mean())
        moved = float(((after - base[TARGET]) * direction).mean())  # projection of the change on the direction
        print(f"sign {sign:+g}: distance to target {before_dist:.6f} → {after_dist:.6f}, along direction {moved:+.2e}")
        assert after_dist < before_dist
        assert moved * sign > 0, "the LoRA moved against the direction it is trained along"


def anchor_change(model, path, noise) -> float:
    base = predictions(model, None, 0, [ANCHOR], noise)[ANCHOR]
    return sum(float((predictions(model, path, w, [ANCHOR], noise)[ANCHOR] - base).pow(2).mean()) for w in (1.0, -1.0))


def test_anchors_reduce_the_change_on_their_prompts_same_seed(random_tiny, registry, tmp_path, noise):
    free = slider(random_tiny, registry, tmp_path / "free.safetensors", steps=12, lr=3e-3)
    held = slider(random_tiny, registry, tmp_path / "held.safetensors", steps=12, lr=3e-3,
                  anchors=[{"prompt": ANCHOR, "strength": 4.0}])
    change_free, change_held = anchor_change(random_tiny, free["path"], noise), anchor_change(random_tiny, held["path"], noise)
    print(f"change on the anchor prompt: without anchors {change_free:.3e}, with {change_held:.3e}")
    assert free["anchor_losses"] is None and len(held["anchor_losses"]) == 12
    assert change_free > 0 and change_held < 0.7 * change_free


def test_slider_is_seeded_and_reproducible(random_tiny, registry, tmp_path):
    a = slider(random_tiny, registry, tmp_path / "a.safetensors", steps=2, timesteps=[0, 1000])
    b = slider(random_tiny, registry, tmp_path / "b.safetensors", steps=2, timesteps=[0, 1000])
    assert a["losses"] == b["losses"]


def test_matched_denoising_draws_each_signs_x_t_with_the_slider_at_that_sign(random_tiny, registry, tmp_path,
                                                                           monkeypatch):
    from lorabias_engine import slider as slider_module

    calls: list = []
    real = slider_module.set_multiplier
    monkeypatch.setattr(slider_module, "set_multiplier", lambda m, name, w: (calls.append(w), real(m, name, w)))
    slider(random_tiny, registry, tmp_path / "random.safetensors", steps=1, timesteps=[0, 1000])
    random_calls, calls[:] = calls[:4], []
    slider(random_tiny, registry, tmp_path / "matched.safetensors", steps=1, timesteps=[0, 1000], denoise_sign="matched")
    assert random_calls[0] in (1.0, -1.0) and random_calls[1:] == [0.0, 1.0, -1.0]  # one x_t for both signs
    assert calls[:6] == [1.0, 0.0, -1.0, 0.0, 1.0, -1.0]  # x_t at +1, base there, x_t at −1, base there, train ±1


def test_guidance_negative_sets_the_strength_of_the_minus_one_term(random_tiny, registry, tmp_path, noise):
    base = predictions(random_tiny, None, 0, [TARGET, POSITIVE, NEGATIVE], noise)
    direction = base[POSITIVE] - base[NEGATIVE]
    moved = {}
    for eta_neg in (ETA, ETA / 4):
        res = slider(random_tiny, registry, tmp_path / f"n{eta_neg}.safetensors", guidance_negative=eta_neg)
        after = predictions(random_tiny, res["path"], -1.0, [TARGET], noise)[TARGET]
        moved[eta_neg] = -float(((after - base[TARGET]) * direction).mean())
    print(f"−1 along the direction: η₋ = {ETA}: {moved[ETA]:+.2e}, η₋ = {ETA / 4}: {moved[ETA / 4]:+.2e}")
    assert moved[ETA] > moved[ETA / 4] > 0


def target_change(model, path, noise, t: int) -> float:
    """How far the slider at +1 and −1 moves the target prompt's prediction at (noise, t): summed MSE."""
    text, _ = model.encode_prompts([TARGET] * noise.shape[0])
    out = []
    with torch.no_grad():
        for w in (0.0, 1.0, -1.0):
            with lora.loras_applied(model, [] if w == 0 else [{"path": str(path), "weight": w}], "keep") as n:
                lora.activate(model, n)
                out.append(model.unet(noise, torch.tensor(t), text).sample.float())
    return sum(float((o - out[0]).pow(2).mean()) for o in out[1:])


@pytest.mark.parametrize("key,window,t_outside", [("late_anchor", [500, 1000], 100), ("early_anchor", [0, 600], 751)])
def test_outside_anchor_holds_the_target_prompts_prediction_outside_the_window(random_tiny, registry, tmp_path, noise,
                                                                                key, window, t_outside):
    kw = dict(steps=12, lr=3e-3, timesteps=window, denoise_steps=4)  # DDIM 4: t = 751, 501, 251, 1
    free = slider(random_tiny, registry, tmp_path / "free.safetensors", **kw)
    held = slider(random_tiny, registry, tmp_path / "held.safetensors", **{key: 4.0}, **kw)
    change_free = target_change(random_tiny, free["path"], noise, t_outside)
    change_held = target_change(random_tiny, held["path"], noise, t_outside)
    print(f"change of the target's prediction at t = {t_outside}: without {key} {change_free:.3e}, with {change_held:.3e}")
    assert change_free > 0 and change_held < 0.7 * change_free


def test_file_is_a_kohya_lora_with_prompts_eta_and_biases_and_survives_export(random_tiny, registry, tmp_path):
    from safetensors import safe_open

    first = slider(random_tiny, registry, tmp_path / "first.safetensors", steps=1)
    over = slider(random_tiny, registry, tmp_path / "over.safetensors", steps=1, rank=2,
                  targets=[TARGET, "a ring"], positive="big, {target}", negative="tiny, {target}",
                  anchors=[ANCHOR], over=[{"path": first["path"], "weight": 0.5}])
    dst = tmp_path / "out" / "exported.safetensors"
    export({"lora": over["path"], "to": str(dst), "metadata": {"recipe_hash": "abc"}}, None, registry)
    with safe_open(str(dst), framework="pt") as fh:
        keys, meta = list(fh.keys()), fh.metadata()
    assert keys and all(k.startswith("lora_unet_") for k in keys)
    assert any(k.endswith(".lora_down.weight") for k in keys) and any(k.endswith(".alpha") for k in keys)
    assert meta["ss_network_dim"] == "2" and meta["ss_network_module"] == "networks.lora"
    info = json.loads(meta["lorabias_slider"])
    assert info["targets"] == [TARGET, "a ring"] and info["positive"] == "big, {target}" and info["guidance"] == ETA
    assert info["anchors"] == [{"prompt": ANCHOR, "strength": 1.0}] and info["prediction_type"] == "v_prediction"
    pairs = json.loads(meta["ss_leco_preview"])
    assert meta["ss_leco_prompt_count"] == "8" and {p["multiplier"] for p in pairs} == {1.0, -1.0}
    assert {p["positive"] for p in pairs if p["target"] == "a ring"} == {"big, a ring", "tiny, a ring"}
    biases = json.loads(meta["lorabias_bias_loras"])
    assert len(biases) == 1 and biases[0]["multiplier"] == 0.5 and len(biases[0]["sha256"]) == 64
    assert meta["lorabias_recipe_hash"] == "abc"


@pytest.mark.parametrize("bad, words", [
    ({"timesteps": [500, 400]}, "timesteps"), ({"negative": POSITIVE}, "same prompt"), ({"targets": []}, "targets"),
    ({"guidance": 0}, "guidance"), ({"timesteps": [10, 11], "denoise_steps": 2}, "window"),
    ({"anchors": [{"strength": 1}]}, "anchors"), ({"guidance_negative": 0}, "guidance"),
    ({"denoise_sign": "both"}, "denoise_sign"), ({"late_anchor": -1}, "late_anchor"),
    ({"early_anchor": -1}, "early_anchor")])
def test_bad_parameters_are_refused_with_a_message_and_no_file(random_tiny, registry, tmp_path, bad, words):
    out = tmp_path / "bad.safetensors"
    with pytest.raises(EngineError) as err:
        slider(random_tiny, registry, out, **bad)
    assert err.value.code == "E_BAD_REQUEST" and words in err.value.message
    assert not out.exists()


def test_the_text_slider_recipe_is_measured_on_prompts_it_never_trained_on():
    """bench/engine/method_harness.py measures the recipe's slider on the harness's prompts: none of its targets
    or poles may be one of them (either split, any family), and the targets state no size."""
    from lorabias_engine.shapes import harness as H
    from lorabias_engine.shapes.claim import TEXT_SLIDER_RECIPE, recipe_cells, slider_params

    cells = recipe_cells(TEXT_SLIDER_RECIPE)
    (name, cell), = [(n, c) for n, c in cells.items() if c["kind"] == "slider"]
    params, over = slider_params(cell)
    trained = {p.replace("{target}", t) for t in params["targets"] for p in ("{target}", params["positive"], params["negative"])}
    measured = {w["prompt"] for split in H.SPLITS for f in H.FAMILIES for w in H.prompts(f, split)}
    assert len(params["targets"]) >= 2 and not over and "size" in cells
    assert not trained & measured, f"{name} trains on harness prompts: {sorted(trained & measured)}"
    assert not any(tag in t.split(", ") for t in params["targets"] for tag in ("small", "large"))
