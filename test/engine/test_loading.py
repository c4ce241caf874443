"""Loading: family from keys, single files and diffusers folders, pickle only when allowed (and weights_only)."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from lorabias_engine.errors import EngineError
from lorabias_engine.models.checkpoint_files import detect_family
from lorabias_engine.models.registry import Registry


def keyfile(tmp_path: Path, name: str, keys: list[str]) -> Path:
    path = tmp_path / name
    save_file({k: torch.zeros(1) for k in keys}, str(path))
    return path


@pytest.mark.parametrize("keys,family", [
    (["model.diffusion_model.input_blocks.0.0.weight", "cond_stage_model.transformer.text_model.final_layer_norm.weight",
      "first_stage_model.decoder.conv_in.weight"], "sd15"),
    (["model.diffusion_model.input_blocks.0.0.weight", "model.diffusion_model.label_emb.0.0.weight",
      "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight",
      "conditioner.embedders.1.model.ln_final.weight"], "sdxl"),
    (["unet.conv_in.weight", "text_encoder.final_layer_norm.weight"], "tiny"),
])
def test_family_is_detected_from_checkpoint_keys(keys, family):
    assert detect_family(keys, Path("x.safetensors")) == family


def test_sd2_and_unknown_checkpoints_are_refused_with_a_reason():
    with pytest.raises(EngineError) as err:
        detect_family(["model.diffusion_model.input_blocks.0.0.weight", "cond_stage_model.model.transformer.x"],
                      Path("v2.safetensors"))
    assert err.value.code == "E_MODEL_FORMAT" and "2.x" in err.value.message
    with pytest.raises(EngineError) as err:
        detect_family(["lora_unet_a.lora_down.weight"], Path("lora.safetensors"))
    assert err.value.code == "E_MODEL_FORMAT" and "lora.safetensors" in err.value.message


def tiny_state(tiny) -> dict:
    state = {f"unet.{k}": v for k, v in tiny.unet.state_dict().items()}
    state.update({f"text_encoder.{k}": v for k, v in tiny.text_encoders[0].state_dict().items()})
    return {k: v.clone().contiguous() for k, v in state.items()}


def test_a_tiny_single_file_loads_with_its_weights(tiny, tmp_path):
    path = tmp_path / "tiny.safetensors"
    save_file(tiny_state(tiny), str(path))
    model, cached = Registry().load({"checkpoint": str(path)})
    assert model.family == "tiny" and not cached
    assert torch.equal(model.unet.conv_in.weight, tiny.unet.conv_in.weight)


def test_pickle_loads_only_when_allowed_and_then_weights_only(tiny, tmp_path):
    path = tmp_path / "tiny.ckpt"
    torch.save({"state_dict": tiny_state(tiny)}, str(path))
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(path)})
    assert err.value.code == "E_PICKLE_REFUSED" and "tiny.ckpt" in err.value.message
    model, _ = Registry().load({"checkpoint": str(path), "allow_pickle": True})
    assert model.family == "tiny"

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"state_dict": Evil()}))
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(evil), "allow_pickle": True})
    assert err.value.code == "E_MODEL_FORMAT"


def test_a_diffusers_folder_loads_offline(tiny, tmp_path):
    pipe = tiny.pipeline()
    pipe.save_pretrained(str(tmp_path / "tiny-diffusers"))
    model, _ = Registry().load({"checkpoint": str(tmp_path / "tiny-diffusers")})
    assert model.family == "tiny" and model.pixel_space
    assert torch.equal(model.unet.conv_out.weight, tiny.unet.conv_out.weight)
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(tmp_path)})
    assert err.value.code == "E_MODEL_FORMAT" and "model_index.json" in err.value.message


class _Marker:
    """A pickle payload that leaves a file behind when it is unpickled."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_a_diffusers_folder_with_pickled_unet_is_not_unpickled_unless_allowed(tiny, tmp_path):
    folder = tmp_path / "tiny-diffusers"
    tiny.pipeline().save_pretrained(str(folder))
    for f in (folder / "unet").glob("*.safetensors"):
        f.unlink()
    marker = tmp_path / "unpickled"
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(pickle.dumps({"conv_in.weight": _Marker(marker)}))
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(folder)})
    assert err.value.code == "E_PICKLE_REFUSED"
    assert "unet/diffusion_pytorch_model.bin" in err.value.message and "allow_pickle: true" in err.value.message
    assert not marker.exists(), "the pickle was never opened"
    # allowed: read with weights_only, so the crafted payload still cannot run
    with pytest.raises(EngineError):
        Registry().load({"checkpoint": str(folder), "allow_pickle": True})
    assert not marker.exists()


def test_a_diffusers_folder_of_pickles_loads_when_pickles_are_allowed(tiny, tmp_path):
    folder = tmp_path / "tiny-bin"
    tiny.pipeline().save_pretrained(str(folder), safe_serialization=False)
    assert list((folder / "unet").glob("*.bin")) and not list((folder / "unet").glob("*.safetensors"))
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(folder)})
    assert err.value.code == "E_PICKLE_REFUSED"
    model, _ = Registry().load({"checkpoint": str(folder), "allow_pickle": True})
    assert torch.equal(model.unet.conv_out.weight, tiny.unet.conv_out.weight)


def test_sd15_single_file_without_tokenizer_files_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("LORABIAS_CLIP_TOKENIZER", raising=False)
    from lorabias_engine.models import clip_tokenizer, loader

    monkeypatch.setattr(loader, "CLIP_TOKENIZER_REPOS", ())
    monkeypatch.setattr(clip_tokenizer, "BPE", tmp_path / "gone.txt.gz")
    path = keyfile(tmp_path, "sd15.safetensors", ["model.diffusion_model.input_blocks.0.0.weight",
                                                   "cond_stage_model.transformer.text_model.final_layer_norm.weight",
                                                   "first_stage_model.decoder.conv_in.weight"])
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(path)})
    assert err.value.code == "E_MODEL_FORMAT"
    assert "vocab.json" in err.value.message and "LORABIAS_CLIP_TOKENIZER" in err.value.message


def test_the_carried_clip_tokenizer_matches_openai_clip(tmp_path, monkeypatch):
    from transformers import CLIPTokenizer

    from lorabias_engine.models import clip_tokenizer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = clip_tokenizer.clip_tokenizer_files()
    tok = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    assert len(tok) == 49408
    assert tok("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]


def test_a_mismatched_single_file_reports_the_architecture(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = keyfile(tmp_path, "broken-sd15.safetensors", ["model.diffusion_model.input_blocks.0.0.weight",
                                                          "cond_stage_model.transformer.text_model.final_layer_norm.weight",
                                                          "first_stage_model.decoder.conv_in.weight"])
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(path), "device": "cpu"})
    assert err.value.code == "E_MODEL_FORMAT" and "broken-sd15.safetensors" in err.value.message
    assert "missing" in err.value.message
