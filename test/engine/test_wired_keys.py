"""Recipe keys that used to reach nothing now change what the engine does: conv_rank/conv_alpha, clip_skip, a separate
VAE file, the dpmpp_2m_karras sampler, export dtype; and the exported metadata follows sd-scripts' definitions
(hashes computed here independently of the engine, from the bytes of the file)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save, save_file

from lorabias_engine.errors import EngineError
from lorabias_engine.export import export, write_lora
from lorabias_engine.models.schedulers import make_scheduler
from lorabias_engine.models.vae_file import use_vae_file
from lorabias_engine.protocol import JobContext
from lorabias_engine.sample import generate
from lorabias_engine.train import train
from test_families import OneModel, toy


def _train(model, images, out, **extra):
    params = {"images": [str(images["a"])], "output": str(out), "rank": 4, "steps": 2, "lr": 1e-2, "resolution": 32,
              "seed": 5, **extra}
    return train(params, JobContext("t"), OneModel(model))


def _read(path):
    with safe_open(str(path), "pt") as fh:
        return {k: fh.get_tensor(k) for k in fh.keys()}, fh.metadata()


# ---- sd-scripts' hashes, computed independently ----------------------------------------------------------------

def sd_scripts_hashes(tensors: dict, metadata: dict) -> tuple[str, str]:
    """kohya-ss/sd-scripts train_util.precalculate_safetensors_hashes, restated: serialise the tensors with only the
    ss_* metadata; model hash = sha256 of everything after the 8-byte length and the JSON header; legacy hash = first
    8 hex digits of sha256 of the 0x10000 bytes at offset 0x100000."""
    import io

    blob = io.BytesIO(save(tensors, {k: v for k, v in metadata.items() if k.startswith("ss_")}))
    n = int.from_bytes(blob.read(8), "little")
    blob.seek(8 + n)
    model_hash = hashlib.sha256(blob.read()).hexdigest()
    blob.seek(0x100000)
    legacy = hashlib.sha256(blob.read(0x10000)).hexdigest()[:8]
    return model_hash, legacy


def test_sshs_hashes_are_sd_scripts_ones_not_the_whole_files_sha256(tmp_path):
    gen = torch.Generator().manual_seed(0)
    # over 1 MiB so the legacy hash reads real bytes
    tensors = {"lora_unet_a.lora_down.weight": torch.randn(4, 80000, generator=gen).half(),
               "lora_unet_a.lora_up.weight": torch.randn(80000, 4, generator=gen).half(),
               "lora_unet_a.alpha": torch.tensor(4.0).half()}
    meta = {"ss_network_dim": "4", "ss_output_name": "x", "lorabias_note": "first"}
    out = write_lora(tmp_path / "a.safetensors", tensors, dict(meta))
    _, written = _read(out)
    want_model, want_legacy = sd_scripts_hashes(tensors, meta)
    assert written["sshs_model_hash"] == want_model
    assert written["sshs_legacy_hash"] == want_legacy and want_legacy != hashlib.sha256(b"").hexdigest()[:8]
    raw = out.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    assert hashlib.sha256(raw[8 + n:]).hexdigest() == written["sshs_model_hash"]  # what A1111 shows for the file
    assert written["sshs_model_hash"] != hashlib.sha256(raw).hexdigest()
    # metadata that is not ss_* does not change the hashes
    other = write_lora(tmp_path / "b.safetensors", tensors, {**meta, "lorabias_note": "second, longer note"})
    _, written2 = _read(other)
    assert (written2["sshs_model_hash"], written2["sshs_legacy_hash"]) == (want_model, want_legacy)


def test_training_metadata_has_modelspec_required_fields_and_real_times(images, tmp_path):
    model = toy("sd15")
    before = time.time()
    _train(model, images, tmp_path / "l.safetensors", resolution=64)
    after = time.time()
    _, meta = _read(tmp_path / "l.safetensors")
    for key in ("modelspec.sai_model_spec", "modelspec.architecture", "modelspec.implementation", "modelspec.title",
                "modelspec.resolution", "modelspec.date"):
        assert meta.get(key), key
    assert meta["modelspec.sai_model_spec"] == "1.0.1"
    assert meta["modelspec.implementation"] == "diffusers"  # sd-scripts: an SD1.x LoRA is diffusers-style
    assert meta["modelspec.architecture"] == "stable-diffusion-v1/lora"
    assert meta["modelspec.resolution"] == "64x64"
    assert dt.datetime.fromisoformat(meta["modelspec.date"]).date() == dt.datetime.now(dt.timezone.utc).date()
    started, finished = float(meta["ss_training_started_at"]), float(meta["ss_training_finished_at"])
    assert before <= started < finished <= after


def test_export_keeps_sd_scripts_hashes_true_after_adding_provenance_and_casts_to_the_asked_dtype(random_tiny, registry,
                                                                                                 images, tmp_path):
    src = tmp_path / "trained.safetensors"
    _train(random_tiny, images, src, save_precision="float")
    for dtype, torch_dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16), ("fp16", torch.float16), (None, torch.float16)):
        dst = tmp_path / f"out-{dtype}.safetensors"
        export({"lora": str(src), "to": str(dst), **({"dtype": dtype} if dtype else {}),
                "metadata": {"ss_output_name": "slider", "note": "x"}}, JobContext("e"), registry)
        tensors, meta = _read(dst)
        assert {t.dtype for t in tensors.values()} == {torch_dtype}, dtype
        assert (meta["sshs_model_hash"], meta["sshs_legacy_hash"]) == sd_scripts_hashes(tensors, meta)
        assert meta["modelspec.title"] == "slider"
    with pytest.raises(EngineError) as err:
        export({"lora": str(src), "to": str(tmp_path / "x.safetensors"), "dtype": "fp8"}, JobContext("e"), registry)
    assert err.value.code == "E_BAD_REQUEST" and "dtype" in err.value.message


# ---- conv_rank / conv_alpha -------------------------------------------------------------------------------------

def test_conv_rank_and_conv_alpha_are_their_own_rank_and_alpha(random_tiny, images, tmp_path):
    out = tmp_path / "locon.safetensors"
    _train(random_tiny, images, out, rank=4, alpha=4, conv_rank=2, conv_alpha=1)
    tensors, meta = _read(out)
    model_layers = dict(random_tiny.unet.named_modules())
    conv3 = [k for k, t in tensors.items() if k.endswith("lora_down.weight") and t.dim() == 4 and t.shape[-1] == 3]
    attn = [k for k in tensors if "attentions" in k and k.endswith("lora_down.weight")]
    assert conv3 and attn and model_layers
    assert {tensors[k].shape[0] for k in conv3} == {2}
    assert {float(tensors[k.replace("lora_down.weight", "alpha")]) for k in conv3} == {1.0}
    assert {tensors[k].shape[0] for k in attn} == {4}
    assert json.loads(meta["ss_network_args"]) == {"conv_dim": "2", "conv_alpha": "1.0"}
    plain = tmp_path / "plain.safetensors"
    _train(random_tiny, images, plain, rank=4)
    tensors, meta = _read(plain)
    assert not any("resnets" in k for k in tensors) and json.loads(meta["ss_network_args"]) == {}


# ---- clip_skip ----------------------------------------------------------------------------------------------------

def test_clip_skip_2_conditions_on_the_penultimate_layer_through_the_final_norm(random_tiny):
    enc = random_tiny.text_encoders[0]
    ids = random_tiny._tokens(random_tiny.tokenizers[0], ["a red disc"])
    with torch.no_grad():
        hidden = enc(ids, output_hidden_states=True).hidden_states
        norm = (enc.text_model if hasattr(enc, "text_model") else enc).final_layer_norm
        want = norm(hidden[-2])
        got1, _ = random_tiny.encode_prompts(["a red disc"])
        got2, _ = random_tiny.encode_prompts(["a red disc"], clip_skip=2)
    assert torch.allclose(got2, want) and not torch.allclose(got1, got2)
    with pytest.raises(EngineError) as err:
        random_tiny.encode_prompts(["x"], clip_skip=5)
    assert "layers" in err.value.message
    with pytest.raises(EngineError) as err:
        toy("sdxl").encode_prompts(["x"], clip_skip=2)
    assert "SDXL" in err.value.message


def test_clip_skip_changes_sampling_and_training_and_is_recorded(random_tiny, images, tmp_path):
    a = generate(random_tiny, "a red disc", 1, steps=3, cfg=3.0, width=32, height=32)
    b = generate(random_tiny, "a red disc", 1, steps=3, cfg=3.0, width=32, height=32, clip_skip=2)
    assert (a - b).abs().max() > 1e-3
    _train(random_tiny, images, tmp_path / "skip1.safetensors")
    _train(random_tiny, images, tmp_path / "skip2.safetensors", clip_skip=2)
    t1, m1 = _read(tmp_path / "skip1.safetensors")
    t2, m2 = _read(tmp_path / "skip2.safetensors")
    assert m1["ss_clip_skip"] == "None" and m2["ss_clip_skip"] == "2" and m2["modelspec.encoder_layer"] == "2"
    assert any(not torch.equal(t1[k], t2[k]) for k in t1 if k.endswith("lora_up.weight"))


# ---- a separate VAE -------------------------------------------------------------------------------------------------

def test_a_vae_file_replaces_the_checkpoints_vae(tmp_path):
    from diffusers import AutoencoderKL

    model = toy("sd15")
    torch.manual_seed(11)
    other = AutoencoderKL.from_config(model.vae.config).eval()
    file = tmp_path / "other-vae.safetensors"
    save_file({k: v.contiguous() for k, v in other.state_dict().items()}, str(file))
    latents = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(2))
    before = model.decode_latents(latents)
    use_vae_file(model, str(file))
    after = model.decode_latents(latents)
    with torch.no_grad():
        want = (other.decode(latents / model.scaling_factor).sample / 2 + 0.5).clamp(0, 1)
    assert (before - after).abs().max() > 1e-3
    assert torch.allclose(after, want, atol=1e-5)


def test_a_vae_file_for_the_pixel_space_tiny_model_or_of_the_wrong_shape_is_refused(registry, tmp_path):
    from diffusers import AutoencoderKL

    file = tmp_path / "vae.safetensors"
    small = AutoencoderKL(block_out_channels=[8, 16], norm_num_groups=8, down_block_types=["DownEncoderBlock2D"] * 2,
                          up_block_types=["UpDecoderBlock2D"] * 2)
    save_file({k: v.contiguous() for k, v in small.state_dict().items()}, str(file))
    with pytest.raises(EngineError) as err:
        registry.load({"checkpoint": "builtin:tiny-shapes", "vae": str(file)})
    assert err.value.code == "E_BAD_REQUEST" and "vae" in err.value.message
    with pytest.raises(EngineError) as err:
        use_vae_file(toy("sd15"), str(file))
    assert err.value.code == "E_MODEL_FORMAT" and "vae.safetensors" in err.value.message


# ---- dpmpp_2m_karras ---------------------------------------------------------------------------------------------

def test_dpmpp_2m_karras_is_dpm_solver_pp_on_karras_sigmas(random_tiny):
    plain, karras = (make_scheduler(n, random_tiny.scheduler_config) for n in ("dpmpp_2m", "dpmpp_2m_karras"))
    assert karras.config.use_karras_sigmas and not plain.config.use_karras_sigmas
    assert karras.config.algorithm_type == "dpmsolver++" and karras.config.solver_order == 2
    plain.set_timesteps(10)
    karras.set_timesteps(10)
    assert not torch.equal(plain.timesteps, karras.timesteps)
    a = generate(random_tiny, "a red disc", 1, steps=4, cfg=3.0, width=32, height=32, scheduler="dpmpp_2m")
    b = generate(random_tiny, "a red disc", 1, steps=4, cfg=3.0, width=32, height=32, scheduler="dpmpp_2m_karras")
    assert torch.isfinite(b).all() and (a - b).abs().max() > 1e-4
