"""The protocol through the real process over pipes: requests, progress, results, errors and cancel."""
from __future__ import annotations

import time

import pytest
from safetensors.torch import save_file


@pytest.fixture(autouse=True)
def _drain(engine):
    yield
    while not engine.lines.empty():
        engine.lines.get_nowait()


def test_hello_reports_versions_and_devices(engine):
    msg, _ = engine.call("h", "hello")
    result = msg["result"]
    assert result["protocol"] == 1
    for key in ("engine_version", "torch", "diffusers", "peft"):
        assert isinstance(result[key], str) and result[key]
    cpu = [d for d in result["devices"] if d["kind"] == "cpu"]
    assert cpu and cpu[0]["memory_bytes"] > 0 and cpu[0]["name"]


def test_malformed_json_answers_with_null_id_and_the_process_keeps_serving(engine):
    engine.send_raw("{not json")
    msg = engine.next()
    assert msg["id"] is None and msg["error"]["code"] == "E_BAD_REQUEST"
    msg, _ = engine.call("after", "hello")
    assert "result" in msg


def test_unknown_method_and_bad_params_have_stable_codes(engine):
    msg, _ = engine.call("u", "frobnicate")
    assert msg["error"]["code"] == "E_UNKNOWN_METHOD" and "frobnicate" in msg["error"]["message"]
    msg, _ = engine.call("b", "load")
    assert msg["error"]["code"] == "E_BAD_REQUEST" and "checkpoint" in msg["error"]["message"]
    engine.send_raw('{"method": "hello"}')
    assert engine.next()["error"]["code"] == "E_BAD_REQUEST"


def test_stdout_carries_only_protocol_lines(engine):
    engine.call("l", "load", checkpoint="builtin:tiny-shapes")
    engine.call("h", "hello")
    import json

    for line in engine.raw:
        obj = json.loads(line)
        assert set(obj) <= {"id", "result", "error", "event", "data"}


def test_load_keeps_models_loaded_between_requests(engine):
    first, _ = engine.call("l1", "load", checkpoint="builtin:tiny-shapes")
    second, _ = engine.call("l2", "load", checkpoint="builtin:tiny-shapes")
    assert first["result"]["family"] == "tiny"
    assert second["result"]["model_id"] == first["result"]["model_id"] and second["result"]["cached"] is True


def test_missing_file_answers_not_found_naming_the_file(engine, tmp_path):
    missing = tmp_path / "nope.safetensors"
    msg, _ = engine.call("m", "load", checkpoint=str(missing))
    assert msg["error"]["code"] == "E_NOT_FOUND" and "nope.safetensors" in msg["error"]["message"]


def test_pickle_checkpoint_refused_with_advice(engine, tmp_path):
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes(b"\x80\x04not really a pickle")
    msg, _ = engine.call("p", "load", checkpoint=str(ckpt))
    assert msg["error"]["code"] == "E_PICKLE_REFUSED"
    assert "model.ckpt" in msg["error"]["message"] and ".safetensors" in msg["error"]["message"]


def test_corrupt_safetensors_answers_model_format(engine, tmp_path):
    import torch

    good = tmp_path / "whole.safetensors"
    save_file({"unet.conv_in.weight": torch.zeros(64, 64)}, str(good))
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(good.read_bytes()[:-100])
    msg, _ = engine.call("c", "load", checkpoint=str(cut))
    assert msg["error"]["code"] == "E_MODEL_FORMAT" and "cut.safetensors" in msg["error"]["message"]
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\xff" * 64)
    msg, _ = engine.call("g", "load", checkpoint=str(garbage))
    assert msg["error"]["code"] == "E_MODEL_FORMAT"
    msg, _ = engine.call("f", "load", checkpoint="builtin:tiny-shapes", family="sd3")
    assert msg["error"]["code"] == "E_MODEL_FORMAT" and "sd3" in msg["error"]["message"]


def test_train_streams_progress_then_a_result(engine, images, tmp_path):
    out = tmp_path / "lora.safetensors"
    msg, events = engine.call("t", "train", checkpoint="builtin:tiny-shapes", images=[str(images["a"])],
                              output=str(out), rank=2, steps=12, lr=1e-3, resolution=32)
    result = msg["result"]
    assert result["steps_done"] == 12 and len(result["losses"]) == 12 and out.exists()
    progress = [e["data"] for e in events if e.get("id") == "t" and e.get("event") == "progress"]
    assert progress and progress[-1]["step"] == 12 and progress[-1]["total"] == 12
    assert {"loss", "lr", "its", "eta_s"} <= set(progress[-1])


def test_cancel_stops_training_within_two_seconds_and_writes_no_file(engine, images, tmp_path):
    out = tmp_path / "never.safetensors"
    engine.call("l", "load", checkpoint="builtin:tiny-shapes")
    engine.send("t", "train", checkpoint="builtin:tiny-shapes", images=[str(images["a"])], output=str(out),
                rank=2, steps=100000, resolution=32)
    while True:  # wait until it really runs
        msg = engine.next()
        if msg.get("id") == "t" and msg.get("event") == "progress":
            break
    sent = time.monotonic()
    engine.send("c", "cancel", target="t")
    final, events = engine.wait_for("t", timeout=10)
    assert time.monotonic() - sent < 2.0
    assert final["error"]["code"] == "E_CANCELLED"
    acks = [e for e in events if e.get("id") == "c"]
    assert acks and acks[0]["result"]["found"] is True
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".never")]
    msg, _ = engine.call("h", "hello")  # still serving
    assert "result" in msg


def test_cancel_stops_sampling(engine, tmp_path):
    engine.call("l", "load", checkpoint="builtin:tiny-shapes")
    engine.send("s", "sample", checkpoint="builtin:tiny-shapes", prompts=["a"], seeds=list(range(200)), steps=5,
                cfg=1.0, output_dir=str(tmp_path / "imgs"))
    time.sleep(1.0)
    sent = time.monotonic()
    engine.send("c", "cancel", target="s")
    final, _ = engine.wait_for("s", timeout=10)
    assert time.monotonic() - sent < 2.0 and final["error"]["code"] == "E_CANCELLED"


def test_bad_training_inputs_name_the_file_and_write_nothing(engine, images, tmp_path):
    out = tmp_path / "x.safetensors"
    msg, _ = engine.call("i", "train", checkpoint="builtin:tiny-shapes", images=[str(tmp_path / "missing.png")],
                         output=str(out), steps=2, resolution=32)
    assert msg["error"]["code"] == "E_NOT_FOUND" and "missing.png" in msg["error"]["message"]
    broken = tmp_path / "half.safetensors"
    save_file({"lora_unet_a.lora_down.weight": __import__("torch").zeros(4, 64)}, str(broken))
    broken.write_bytes(broken.read_bytes()[:-64])
    msg, _ = engine.call("o", "train", checkpoint="builtin:tiny-shapes", images=[str(images["a"])], output=str(out),
                         steps=2, resolution=32, over=[{"path": str(broken), "weight": 1}])
    assert msg["error"]["code"] == "E_MODEL_FORMAT" and "half.safetensors" in msg["error"]["message"]
    msg, _ = engine.call("n", "train", checkpoint="builtin:tiny-shapes", images=[str(images["a"])], output=str(out),
                         steps=2, resolution=32, over=[{"path": str(tmp_path / "gone.safetensors"), "weight": 1}])
    assert msg["error"]["code"] == "E_NOT_FOUND" and "gone.safetensors" in msg["error"]["message"]
    assert list(tmp_path.iterdir()) == [broken]


def test_sample_writes_pngs_and_the_same_seed_gives_the_same_image(engine, tmp_path):
    import numpy as np
    from PIL import Image

    msg, _ = engine.call("s", "sample", checkpoint="builtin:tiny-shapes", prompts=["a red disc"], seeds=[3, 3, 4],
                         steps=4, cfg=2.0, output_dir=str(tmp_path / "a"))
    images = msg["result"]["images"]
    assert [i["seed"] for i in images] == [3, 3, 4]
    pix = [np.asarray(Image.open(i["path"])) for i in images]
    assert pix[0].shape == (32, 32, 3)
    msg2, _ = engine.call("s2", "sample", checkpoint="builtin:tiny-shapes", prompts=["a red disc"], seeds=[3],
                          steps=4, cfg=2.0, output_dir=str(tmp_path / "b"))
    again = np.asarray(Image.open(msg2["result"]["images"][0]["path"]))
    assert np.array_equal(pix[0], again) and not np.array_equal(pix[0], pix[2])
