"""A warm worker answers a repeated preview from what it already made; anything that changes the pixels samples anew."""
import os
import time

import numpy as np
from PIL import Image
from safetensors.torch import load_file, save_file


def _sample(engine, rid, out, **extra):
    params = dict(checkpoint="builtin:tiny-shapes", prompts=["circle, red"], seeds=[1, 2], steps=6, cfg=2.0, output_dir=str(out))
    params.update(extra)
    t0 = time.monotonic()
    msg, _ = engine.call(rid, "sample", **params)
    return msg["result"], time.monotonic() - t0


def _pixels(result):
    return [np.asarray(Image.open(i["path"])) for i in result["images"]]


def test_an_identical_request_is_answered_from_the_first_ones_images(engine, tmp_path):
    first, _ = _sample(engine, "r1", tmp_path / "a")
    again, _ = _sample(engine, "r2", tmp_path / "b")
    assert "repeated" not in first and again["repeated"] is True
    assert all(str(tmp_path / "b") in i["path"] for i in again["images"]), "copied into the new output folder"
    assert all(np.array_equal(x, y) for x, y in zip(_pixels(first), _pixels(again)))
    other, _ = _sample(engine, "r3", tmp_path / "c", seeds=[1, 3])
    assert "repeated" not in other, "another seed is sampled"


def test_a_rewritten_lora_file_is_sampled_again(engine, tmp_path, images):
    lora = tmp_path / "l.safetensors"
    msg, _ = engine.call("t", "train", checkpoint="builtin:tiny-shapes", images=[str(images["a"])], output=str(lora),
                         steps=2, rank=2, resolution=32)
    assert "result" in msg, msg
    spec = [{"path": str(lora), "weight": 1.0}]
    first, _ = _sample(engine, "l1", tmp_path / "a", loras=spec)
    tensors = load_file(str(lora))
    save_file({k: v * 3 for k, v in tensors.items()}, str(lora))
    os.utime(lora, ns=(time.time_ns(), time.time_ns() + 10**9))
    again, _ = _sample(engine, "l2", tmp_path / "b", loras=spec)
    assert "repeated" not in again
