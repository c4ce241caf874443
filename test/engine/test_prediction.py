"""A model's prediction type and zero-terminal-SNR schedule, set in the recipe or detected from the checkpoint,
are the ones training regresses on and sampling uses. The training target is checked against a loss computed
here from the definitions (cosine ᾱ, Lin et al.'s rescaling, v = √ᾱ·ε − √(1−ᾱ)·x), not with the engine's code."""
from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import save_file

from lorabias_engine.images import load_image
from lorabias_engine.protocol import JobContext
from lorabias_engine.sample import generate, initial_noise
from lorabias_engine.train import train

SEED = 11


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory):
    """The tiny architecture (random weights) as three single files: plain with epsilon model-spec metadata, and
    with the `v_pred` + `ztsnr` keys NoobAI-style v-pred SDXL files carry."""
    from lorabias_engine.builtin import RANDOM_SEED
    from lorabias_engine.models.tiny import build_tiny_components

    parts = build_tiny_components(seed=RANDOM_SEED)
    state = {f"{n}.{k}": v.contiguous() for n in ("unet", "text_encoder") for k, v in parts[n].state_dict().items()}
    folder = tmp_path_factory.mktemp("prediction")
    eps = folder / "eps.safetensors"
    save_file(state, str(eps), metadata={"modelspec.prediction_type": "epsilon"})
    vpred = folder / "vpred-ztsnr.safetensors"
    save_file({**state, "v_pred": torch.tensor([]), "ztsnr": torch.tensor([])}, str(vpred))
    return {"eps": eps, "vpred": vpred}


def alphas_cumprod(zero_snr: bool, schedule: str = "cosine") -> torch.Tensor:
    """The tiny family's cosine schedule (squaredcos_cap_v2, 1000 steps) or SD's scaled-linear one (0.00085…0.012),
    optionally rescaled to zero terminal SNR (Lin et al. 2024, algorithm 1)."""
    if schedule == "cosine":
        bar = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        betas = torch.tensor([min(1 - bar((i + 1) / 1000) / bar(i / 1000), 0.999) for i in range(1000)], dtype=torch.float64)
    else:
        betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    ab = torch.cumprod(1 - betas, 0)
    if zero_snr:
        s = ab.sqrt()
        first, last = s[0].clone(), s[-1].clone()
        s = (s - last) * first / (first - last)
        ab = s ** 2
    return ab.float()


def first_step_losses(model, image, caption: str, zero_snr: bool, schedule: str = "cosine") -> dict[str, float]:
    """The loss of training step 1 (the target LoRA starts at zero, so the UNet is the base one) for each target,
    drawing the batch, noise and timestep in the order the training loop documents: index, noise, timestep."""
    gen = torch.Generator("cpu").manual_seed(SEED)
    torch.randint(0, 1, (1,), generator=gen)
    size = 32 if model.pixel_space else 64
    x = model.encode_images(load_image(str(image), size).unsqueeze(0))  # the image itself on the tiny family
    noise = torch.randn(x.shape, generator=gen)
    t = torch.randint(0, 1000, (1,), generator=gen)
    ab = alphas_cumprod(zero_snr, schedule)[t].reshape(1, 1, 1, 1)
    noisy = ab.sqrt() * x + (1 - ab).sqrt() * noise
    with torch.no_grad():
        text, cond = model.encode_prompts([caption])
        pred = model.unet(noisy, t, text, added_cond_kwargs=model.added_cond(cond, size, size, 1)).sample
    targets = {"epsilon": noise, "v_prediction": ab.sqrt() * noise - (1 - ab).sqrt() * x}
    return {k: float(((pred - v) ** 2).mean()) for k, v in targets.items()}


def trained_first_loss(registry, load: dict, image, tmp_path) -> float:
    out = tmp_path / "x.safetensors"
    res = train({**load, "images": [str(image)], "captions": ["a red disc"], "output": str(out), "rank": 2, "steps": 1,
                 "resolution": 32, "seed": SEED}, JobContext("t"), registry)
    return res["losses"][0], out


def explicit_pipeline_image(model, prediction: str, zero_snr: bool) -> torch.Tensor:
    from diffusers import DDIMScheduler, StableDiffusionPipeline

    from lorabias_engine.models.configs import read_config

    scheduler = DDIMScheduler.from_config({**read_config("tiny", "scheduler"), "prediction_type": prediction,
                                           "rescale_betas_zero_snr": zero_snr, "timestep_spacing": "trailing"})
    pipe = StableDiffusionPipeline(vae=model.vae, text_encoder=model.text_encoders[0], tokenizer=model.tokenizers[0],
                                   unet=model.unet, scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    latents = pipe(prompt="a red disc", num_inference_steps=4, guidance_scale=2.0, height=32, width=32,
                   latents=initial_noise(model, 3, 32, 32), output_type="latent").images
    return (latents[0] / 2 + 0.5).clamp(0, 1)


@pytest.mark.parametrize("case", ["detected v_pred + ztsnr keys", "set in the recipe", "detected epsilon metadata"])
def test_the_training_target_and_the_sampler_follow_the_models_prediction_type(case, registry, tiny_files, images, tmp_path):
    load, want, zero_snr, source = {
        "detected v_pred + ztsnr keys": ({"checkpoint": str(tiny_files["vpred"])}, "v_prediction", True, "detected"),
        "set in the recipe": ({"checkpoint": str(tiny_files["eps"]), "prediction_type": "v_prediction"}, "v_prediction",
                              False, "set in the recipe"),
        "detected epsilon metadata": ({"checkpoint": str(tiny_files["eps"])}, "epsilon", False, "detected"),
    }[case]
    model = registry.load(load)[0]
    info = model.info["prediction"]
    assert (info["prediction_type"], info["zero_terminal_snr"]) == (want, zero_snr)
    assert info["prediction_type_source"].startswith(source)

    loss, out = trained_first_loss(registry, load, images["a"], tmp_path)
    ref = first_step_losses(model, images["a"], "a red disc", zero_snr)
    other = "epsilon" if want == "v_prediction" else "v_prediction"
    assert abs(ref[want] - ref[other]) > 0.05 * ref[want], "the two targets must differ for this test to mean anything"
    assert loss == pytest.approx(ref[want], rel=1e-4)

    from safetensors import safe_open

    with safe_open(str(out), "pt") as fh:
        meta = fh.metadata()
    assert meta["modelspec.prediction_type"] == ("v" if want == "v_prediction" else "epsilon")
    assert meta["ss_v_parameterization"] == str(want == "v_prediction")
    assert meta["ss_zero_terminal_snr"] == str(zero_snr)

    ours = generate(model, "a red disc", 3, steps=4, cfg=2.0, width=32, height=32)
    assert (ours - explicit_pipeline_image(model, want, zero_snr)).abs().max() < 1e-4
    assert (ours - explicit_pipeline_image(model, other, zero_snr and other == "v_prediction")).abs().max() > 1e-2


def test_a_zero_snr_model_refuses_the_sampler_without_a_zero_snr_schedule(registry, tiny_files):
    from lorabias_engine.errors import EngineError
    from lorabias_engine.models.schedulers import make_scheduler

    model = registry.load({"checkpoint": str(tiny_files["vpred"])})[0]
    with pytest.raises(EngineError, match="pndm sampler cannot sample a zero-terminal-SNR model"):
        make_scheduler("pndm", model.scheduler_config)


def test_a_bad_prediction_type_is_a_clear_request_error(registry, tiny_files):
    from lorabias_engine.errors import EngineError

    with pytest.raises(EngineError, match="prediction_type must be one of epsilon, v_prediction"):
        registry.load({"checkpoint": str(tiny_files["eps"]), "prediction_type": "v"})
    with pytest.raises(EngineError, match="zero_terminal_snr needs prediction_type: v_prediction"):
        registry.load({"checkpoint": str(tiny_files["eps"]), "zero_terminal_snr": True})


@pytest.mark.parametrize("zero_snr", [True, False])
def test_zero_terminal_snr_rescales_the_schedule_training_uses(zero_snr, images, tmp_path):
    """On SD's scaled-linear schedule (far from zero SNR at its end, unlike the tiny family's cosine one) the
    rescaling moves every ᾱ: the first step's loss matches the rescaled schedule only when it is declared."""
    from lorabias_engine.models.prediction import apply_prediction
    from test_families import OneModel, toy

    model = toy("sd15")
    model.scheduler_config, _ = apply_prediction(model.scheduler_config, "toy",
                                                 {"prediction_type": "v_prediction", "zero_terminal_snr": zero_snr})
    res = train({"images": [str(images["a"])], "captions": ["a red disc"], "output": str(tmp_path / "z.safetensors"),
                 "rank": 2, "steps": 1, "resolution": 64, "seed": SEED}, JobContext("t"), OneModel(model))
    right = first_step_losses(model, images["a"], "a red disc", zero_snr, "scaled_linear")["v_prediction"]
    wrong = first_step_losses(model, images["a"], "a red disc", not zero_snr, "scaled_linear")["v_prediction"]
    assert res["losses"][0] == pytest.approx(right, rel=1e-4)
    assert abs(wrong - right) > 1e-3 * right
