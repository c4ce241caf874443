"""One copy of each checkpoint per worker, whatever form requests name it in; what is loaded and how much memory
it holds (`models`); unloading what no open recipe names (`unload`); load progress; clear errors for real files."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from lorabias_engine.errors import EngineError
from lorabias_engine.models.registry import Registry


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    """The tiny architecture (SD1.5's layout at toy size) as a single file with random weights."""
    from lorabias_engine.models.tiny import build_tiny_components

    parts = build_tiny_components(seed=3)
    state = {f"{name}.{k}": v.contiguous() for name in ("unet", "text_encoder") for k, v in parts[name].state_dict().items()}
    path = tmp_path_factory.mktemp("one-copy") / "tiny-random.safetensors"
    save_file(state, str(path))
    return path


def test_every_form_of_naming_a_checkpoint_gets_the_one_loaded_copy(tiny_file, tmp_path, monkeypatch):
    registry = Registry()
    link = tmp_path / "link.safetensors"
    link.symlink_to(tiny_file)
    monkeypatch.chdir(tiny_file.parent)
    first, cached = registry.load({"checkpoint": tiny_file.name})  # relative, family left to detection
    assert not cached and first.family == "tiny"
    for params in ({"checkpoint": str(tiny_file), "family": "tiny"},  # what a model cell hands later cells
                   {"checkpoint": str(link)},  # a symlink
                   {"checkpoint": f"../{tiny_file.parent.name}/{tiny_file.name}", "dtype": "fp32"},
                   {"checkpoint": str(tiny_file), "dtype": "float32", "device": "cpu"},
                   {"checkpoint": str(link), "family": "tiny", "device": "auto"}):
        model, cached = registry.load(params)
        assert model is first and cached, params
    assert registry.loads == 1 and len(registry.models()) == 1
    with pytest.raises(EngineError) as err:  # a family the file does not have is refused, not loaded again
        registry.load({"checkpoint": str(tiny_file), "family": "sd15"})
    assert "tiny-random.safetensors" in err.value.message and registry.loads == 1


def test_a_model_cell_then_bias_target_fidelity_preview_and_export_load_the_file_once(engine, tiny_file, images, tmp_path):
    link = tmp_path / "model.safetensors"
    link.symlink_to(tiny_file)
    loaded, events = engine.call("l1", "load", checkpoint=str(link))
    assert "result" in loaded, loaded
    model_params = {"checkpoint": str(tiny_file), "family": loaded["result"]["family"]}  # as the cells pass it on
    bias, _ = engine.call("b1", "train", **model_params, images=[str(images["a"])], output=str(tmp_path / "bias.safetensors"),
                          rank=2, steps=2, resolution=32, until={"fidelity": 1.0, "every": 1, "steps": 1, "seeds": [1]})
    assert "result" in bias, bias
    target, _ = engine.call("t1", "train", **model_params, dtype="float32", images=[str(images["a_edited"])],
                            output=str(tmp_path / "target.safetensors"), rank=2, steps=2, resolution=32,
                            over=[{"path": bias["result"]["path"], "weight": 1.0}])
    assert "result" in target, target
    preview, _ = engine.call("s1", "sample", **model_params, prompts=["a red disc"], seeds=[1], steps=1, width=32,
                             height=32, loras=[{"path": target["result"]["path"], "weight": 1.0}],
                             output_dir=str(tmp_path / "preview"))
    assert "result" in preview, preview
    exported, _ = engine.call("e1", "export", **model_params, lora=target["result"]["path"], to=str(tmp_path / "out.safetensors"))
    assert "result" in exported, exported
    status, _ = engine.call("m1", "models")
    status = status["result"]
    assert status["loads"] == 1, status
    [entry] = [m for m in status["models"] if m["source"] == str(tiny_file)]
    assert entry["model_id"] == loaded["result"]["model_id"] and entry["family"] == "tiny"
    assert entry["bytes"] == sum(c["bytes"] for c in entry["components"].values()) > 4 * entry["params"] * 0.99
    assert status["process"]["rss_bytes"] > entry["bytes"]
    # nothing open names it any more: unload frees it, and the next load reads the file again
    gone, _ = engine.call("u1", "unload", keep=["builtin:tiny-shapes"])
    assert gone["result"]["unloaded"] == [entry["model_id"]] and gone["result"]["freed_bytes"] == entry["bytes"]
    assert not any(m["source"] == str(tiny_file) for m in gone["result"]["models"])
    again, _ = engine.call("l2", "load", checkpoint=str(tiny_file))
    assert again["result"]["cached"] is False
    status, _ = engine.call("m2", "models")
    assert status["result"]["loads"] == 2


def test_unload_keeps_what_open_recipes_name(tiny_file, tmp_path):
    from lorabias_engine.app import unload

    registry = Registry()
    registry.load({"checkpoint": str(tiny_file)})
    link = tmp_path / "kept.safetensors"
    link.symlink_to(tiny_file)
    result = unload(registry, {"keep": [str(link)]})  # named through a symlink: still the same checkpoint
    assert result["unloaded"] == [] and len(registry.models()) == 1
    with pytest.raises(EngineError):
        unload(registry, {})


def test_loading_a_file_reports_progress_in_bytes(tiny_file):
    seen = []
    Registry().load({"checkpoint": str(tiny_file)}, progress=lambda done, total, what: seen.append((done, total, what)))
    assert seen and seen[-1][0] == seen[-1][1] == tiny_file.stat().st_size - _header_bytes(tiny_file)
    assert [d for d, _t, _w in seen] == sorted(d for d, _t, _w in seen)
    assert {w for _d, _t, w in seen} == {"UNet", "text encoder"}


def _header_bytes(path: Path) -> int:
    with open(path, "rb") as fh:
        return 8 + struct.unpack("<Q", fh.read(8))[0]


SDXL_KEYS = ["model.diffusion_model.input_blocks.0.0.weight", "model.diffusion_model.label_emb.0.0.weight",
             "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight",
             "conditioner.embedders.1.model.ln_final.weight", "first_stage_model.decoder.conv_in.weight"]


def test_a_wrong_family_names_the_file_and_both_families(tmp_path):
    path = tmp_path / "my-xl-model.safetensors"
    save_file({k: torch.zeros(1) for k in SDXL_KEYS}, str(path))
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(path), "family": "sd15"})
    assert err.value.code == "E_MODEL_FORMAT"
    assert "my-xl-model.safetensors" in err.value.message and "SDXL" in err.value.message and "sd15" in err.value.message


def test_a_checkpoint_without_its_vae_says_which_part_is_missing(tmp_path):
    path = tmp_path / "no-vae.safetensors"
    save_file({k: torch.zeros(1) for k in SDXL_KEYS if not k.startswith("first_stage_model.")}, str(path))
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(path)})
    assert "no-vae.safetensors" in err.value.message and "VAE" in err.value.message
    assert "first_stage_model." in err.value.message


def test_a_truncated_checkpoint_names_the_file_and_the_missing_bytes(tiny_file, tmp_path):
    cut = tmp_path / "cut.safetensors"
    data = tiny_file.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(cut)})
    assert err.value.code == "E_MODEL_FORMAT" and "cut.safetensors" in err.value.message
    assert "truncated" in err.value.message and str(len(data) // 2) in err.value.message


def test_a_tensor_of_the_wrong_shape_names_it(tiny_file, tmp_path):
    from safetensors.torch import load_file

    state = load_file(str(tiny_file))
    name = next(k for k in state if k.startswith("unet.") and k.endswith("conv_in.weight"))
    state[name] = torch.zeros(1, 1, 1, 1)
    path = tmp_path / "odd.safetensors"
    save_file(state, str(path))
    with pytest.raises(EngineError) as err:
        Registry().load({"checkpoint": str(path)})
    assert "odd.safetensors" in err.value.message and "conv_in.weight" in err.value.message


@pytest.mark.skipif(not torch.cuda.is_available(), reason="parking moves the VAE and text encoders off a CUDA device")
def test_the_vae_and_text_encoders_leave_the_gpu_while_the_unet_trains_on_cached_data(images, tmp_path):
    from lorabias_engine import memory
    from lorabias_engine.protocol import JobContext
    from lorabias_engine.train import train

    from test_families import OneModel, toy

    model = toy("sd15")
    for m in (model.unet, model.vae, *model.text_encoders):
        m.to("cuda")
    model.device = torch.device("cuda")
    seen = []

    class Spy(JobContext):
        def progress(self, data, force=False):
            seen.append({n: c["device"] for n, c in memory.model_memory(model)["components"].items()})

    train({"images": [str(images["a"])], "output": str(tmp_path / "x.safetensors"), "rank": 2, "steps": 2,
           "resolution": 64, "until": {"fidelity": 1.0, "every": 1, "steps": 1, "seeds": [1]}}, Spy("t"), OneModel(model))
    assert seen and all(s["vae"] == "cpu" and s["text_encoder"] == "cpu" and s["unet"].startswith("cuda") for s in seen)
    after = memory.model_memory(model)["components"]
    assert all(c["device"].startswith("cuda") for c in after.values())
