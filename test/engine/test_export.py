"""Export: kohya keys + ss_* metadata + provenance; diffusers' own load_lora_weights reproduces the engine's images;
kohya and diffusers-format files both work as bias LoRAs; a LoRA that fits nothing is refused."""
from __future__ import annotations

import copy
import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from lorabias_engine import lora
from lorabias_engine.errors import EngineError
from lorabias_engine.export import export
from lorabias_engine.images import file_sha256
from lorabias_engine.protocol import JobContext
from lorabias_engine.sample import generate, initial_noise
from lorabias_engine.train import train


@pytest.fixture(scope="module")
def trained(tiny, registry, images, tmp_path_factory):
    """A small LoRA with UNet attention, UNet conv and text-encoder modules, trained hard enough to matter."""
    out = tmp_path_factory.mktemp("export") / "target.safetensors"
    train({"model_id": tiny.model_id, "images": [str(images["a"])], "output": str(out), "rank": 4, "alpha": 2,
           "steps": 25, "lr": 1e-2, "resolution": 32, "train_conv": True, "train_text_encoder": True, "seed": 3},
          JobContext("t"), registry)
    return out


def test_export_writes_kohya_keys_ss_metadata_and_provenance(trained, registry, tmp_path):
    dst = tmp_path / "out" / "slider.safetensors"
    result = export({"lora": str(trained), "to": str(dst), "metadata": {
        "recipe_hash": "abc123", "bias_loras": [{"name": "copier", "sha256": "f00", "multiplier": 1.0}]}},
        JobContext("e"), registry)
    assert result["path"] == str(dst) and result["sha256"] == file_sha256(dst)
    with safe_open(str(dst), "pt") as fh:
        keys, meta = list(fh.keys()), fh.metadata()
    assert result["keys"] == len(keys)
    assert all(k.startswith(("lora_unet_", "lora_te_")) and k.endswith((".lora_down.weight", ".lora_up.weight", ".alpha"))
               for k in keys)
    assert any(k.startswith("lora_te_text_model_encoder_layers_") for k in keys)
    assert meta["ss_network_module"] == "networks.lora" and meta["ss_network_dim"] == "4"
    assert meta["ss_network_alpha"] == "2.0" and meta["sshs_model_hash"]
    assert meta["lorabias_recipe_hash"] == "abc123"
    assert json.loads(meta["lorabias_bias_loras"])[0]["multiplier"] == 1.0
    assert json.loads(meta["lorabias_datasets"])[0]["sha256"]
    assert [p.name for p in dst.parent.iterdir()] == ["slider.safetensors"]  # no temporary file left


def test_diffusers_load_lora_weights_gives_the_engines_images(tiny, trained):
    from diffusers import DDIMScheduler, StableDiffusionPipeline

    def engine_image(loras):
        with lora.loras_applied(tiny, loras, "x") as names:
            lora.activate(tiny, names)
            return generate(tiny, "a red disc", 5, steps=8, cfg=3.0, width=32, height=32)

    base = engine_image([])
    ours = engine_image([{"path": str(trained), "weight": 1.0}])
    # a separate copy of the very weights the engine sampled with (the shipped weights file may change meanwhile)
    unet, text_encoder = copy.deepcopy(tiny.unet), copy.deepcopy(tiny.text_encoders[0])
    pipe = StableDiffusionPipeline(vae=tiny.vae, text_encoder=text_encoder, tokenizer=tiny.tokenizers[0], unet=unet,
                                   scheduler=DDIMScheduler.from_config(tiny.scheduler_config), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    pipe.load_lora_weights(str(trained))
    latents = pipe(prompt="a red disc", num_inference_steps=8, guidance_scale=3.0, height=32, width=32,
                   latents=initial_noise(tiny, 5, 32, 32), output_type="latent").images
    theirs = (latents[0] / 2 + 0.5).clamp(0, 1)
    assert (ours - base).abs().max() > 0.05, "the LoRA must visibly change the image for this test to mean anything"
    assert (ours - theirs).abs().max() < 2e-3


def test_a_diffusers_format_file_reads_back_under_the_same_kohya_names_and_weights(tiny, trained, tmp_path):
    from diffusers.loaders.lora_conversion_utils import _convert_non_diffusers_lora_to_diffusers

    with safe_open(str(trained), "pt") as fh:
        kohya = {k: fh.get_tensor(k) for k in fh.keys()}
    converted, alphas = _convert_non_diffusers_lora_to_diffusers(dict(kohya))
    assert len(set(alphas.values())) == 1  # every module was trained with alpha 2
    diffusers_file = tmp_path / "diffusers_format.safetensors"
    save_file(converted, str(diffusers_file))
    back, _ = lora.read_lora_file(diffusers_file, tiny)
    downs = sorted(k for k in kohya if k.endswith("lora_down.weight"))
    assert sorted(k for k in back if k.endswith("lora_down.weight")) == downs
    for k in downs:
        assert torch.equal(back[k], kohya[k])


def test_a_kohya_file_round_trips_as_a_bias_lora(tiny, registry, trained, images, tmp_path):
    out = tmp_path / "over.safetensors"
    res = train({"model_id": tiny.model_id, "images": [str(images["a_edited"])], "output": str(out), "rank": 2,
                 "steps": 2, "resolution": 32, "over": [{"path": str(trained), "weight": -0.5}]}, JobContext("o"), registry)
    assert res["steps_done"] == 2
    with lora.loras_applied(tiny, [{"path": str(trained), "weight": -0.5}], "b") as names:
        layer = next(layer for _n, layer in lora._lora_layers(tiny.unet) if names[0] in layer.lora_A)
        assert layer.scaling[names[0]] == pytest.approx(-0.5 * 2 / 4)


def test_a_lora_whose_keys_fit_no_module_is_refused(tiny, tmp_path):
    bogus = tmp_path / "other_model.safetensors"
    save_file({"lora_unet_nowhere_to_q.lora_down.weight": torch.zeros(2, 8),
               "lora_unet_nowhere_to_q.lora_up.weight": torch.zeros(8, 2)}, str(bogus))
    with pytest.raises(EngineError) as err:
        with lora.loras_applied(tiny, [{"path": str(bogus), "weight": 1.0}], "z"):
            pass
    assert err.value.code == "E_LORA_MISMATCH" and "other_model.safetensors" in err.value.message
    wrong_shape = tmp_path / "wrong_shape.safetensors"
    name = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"
    save_file({f"{name}.lora_down.weight": torch.zeros(2, 768), f"{name}.lora_up.weight": torch.zeros(768, 2)},
              str(wrong_shape))
    with pytest.raises(EngineError) as err:
        with lora.loras_applied(tiny, [{"path": str(wrong_shape), "weight": 1.0}], "z"):
            pass
    assert err.value.code == "E_LORA_MISMATCH"


def test_export_replaces_a_lora_but_never_a_checkpoint_a_text_file_or_a_folder(trained, registry, tmp_path):
    checkpoint = tmp_path / "model.safetensors"
    save_file({"model.diffusion_model.input_blocks.0.0.weight": torch.ones(4, 4)}, str(checkpoint))
    text = tmp_path / "notes.safetensors"
    text.write_text("my notes")
    folder = tmp_path / "folder.safetensors"
    folder.mkdir()
    for dst in (checkpoint, text, folder):
        before = dst.read_bytes() if dst.is_file() else None
        with pytest.raises(EngineError) as err:
            export({"lora": str(trained), "to": str(dst)}, JobContext("e"), registry)
        assert err.value.code == "E_BAD_REQUEST" and str(dst) in err.value.message
        assert (dst.read_bytes() if dst.is_file() else None) == before, f"{dst.name} is untouched"
    assert folder.is_dir() and not list(folder.iterdir())
    with pytest.raises(EngineError) as err:
        export({"lora": str(trained), "to": str(tmp_path / ".safetensors")}, JobContext("e"), registry)
    assert err.value.code == "E_BAD_REQUEST"
    lora_file = tmp_path / "old-lora.safetensors"
    export({"lora": str(trained), "to": str(lora_file)}, JobContext("e"), registry)
    export({"lora": str(trained), "to": str(lora_file), "metadata": {"v": "2"}}, JobContext("e"), registry)
    with safe_open(str(lora_file), "pt") as fh:
        assert fh.metadata()["lorabias_v"] == "2", "an earlier LoRA is replaced"


def test_written_files_get_the_umask_mode_and_a_replaced_file_keeps_its_mode(trained, registry, tmp_path):
    import os
    import stat

    from lorabias_engine.images import save_png

    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.safetensors"
        export({"lora": str(trained), "to": str(fresh)}, JobContext("e"), registry)
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        png = save_png(torch.zeros(3, 4, 4), tmp_path / "grid.png")
        assert stat.S_IMODE(png.stat().st_mode) == 0o644
        os.umask(0o002)
        shared = tmp_path / "shared.png"
        save_png(torch.zeros(3, 4, 4), shared)
        assert stat.S_IMODE(shared.stat().st_mode) == 0o664
        os.chmod(fresh, 0o640)
        export({"lora": str(trained), "to": str(fresh)}, JobContext("e"), registry)
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o640, "replacing keeps the old file's mode"
    finally:
        os.umask(old)
