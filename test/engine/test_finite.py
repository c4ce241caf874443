"""Non-finite numbers never pass silently: a LoRA file with NaN is refused wherever it is read (as a bias, in a
preview, in an export), and a run whose loss diverges fails instead of exporting a broken LoRA."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from lorabias_engine import lora
from lorabias_engine.errors import EngineError
from lorabias_engine.export import export
from lorabias_engine.protocol import JobContext
from lorabias_engine.train import train


@pytest.fixture(scope="module")
def good_and_nan(tiny, registry, images, tmp_path_factory):
    folder = tmp_path_factory.mktemp("finite")
    good = folder / "copier.safetensors"
    train({"model_id": tiny.model_id, "images": [str(images["a"])], "output": str(good), "rank": 2, "steps": 2,
           "resolution": 32, "seed": 1}, JobContext("t"), registry)
    nan = folder / "nan-copier.safetensors"
    save_file({k: torch.full_like(v, float("nan")) if v.is_floating_point() and not k.endswith(".alpha") else v
               for k, v in load_file(str(good)).items()}, str(nan))
    return good, nan


def test_training_over_a_nan_bias_fails_naming_it_and_writes_nothing(tiny, registry, images, good_and_nan, tmp_path):
    _, nan = good_and_nan
    out = tmp_path / "work" / "target.safetensors"
    with pytest.raises(EngineError) as err:
        train({"model_id": tiny.model_id, "images": [str(images["a_edited"])], "output": str(out), "rank": 2, "steps": 2,
               "resolution": 32, "over": [{"path": str(nan), "weight": 1.0}]}, JobContext("t"), registry)
    assert err.value.code == "E_NOT_FINITE" and "nan-copier.safetensors" in err.value.message
    assert not out.exists() and not out.parent.exists(), "no output, and no empty work folder"


def test_a_nan_lora_is_refused_in_a_preview_and_in_an_export(tiny, registry, good_and_nan, tmp_path):
    _, nan = good_and_nan
    with pytest.raises(EngineError) as err:
        with lora.loras_applied(tiny, [{"path": str(nan), "weight": 1.0}], "p"):
            pass
    assert err.value.code == "E_NOT_FINITE"
    with pytest.raises(EngineError) as err:
        export({"lora": str(nan), "to": str(tmp_path / "out.safetensors")}, JobContext("e"), registry)
    assert err.value.code == "E_NOT_FINITE" and not (tmp_path / "out.safetensors").exists()


def test_a_run_whose_loss_diverges_fails_instead_of_exporting(tiny, registry, images, tmp_path):
    out = tmp_path / "diverged.safetensors"
    with pytest.raises(EngineError) as err:
        train({"model_id": tiny.model_id, "images": [str(images["a"])], "output": str(out), "rank": 2, "steps": 8,
               "lr": 1e30, "resolution": 32, "seed": 1}, JobContext("t"), registry)
    assert err.value.code == "E_NOT_FINITE" and "lr" in err.value.message
    assert not out.exists()


def test_a_finite_lora_still_trains_over_and_exports(tiny, registry, images, good_and_nan, tmp_path):
    good, _ = good_and_nan
    out = tmp_path / "target.safetensors"
    r = train({"model_id": tiny.model_id, "images": [str(images["a_edited"])], "output": str(out), "rank": 2, "steps": 2,
               "resolution": 32, "over": [{"path": str(good), "weight": 1.0}]}, JobContext("t"), registry)
    assert r["final_loss"] is not None and torch.isfinite(torch.tensor(r["final_loss"]))
    assert out.exists()
