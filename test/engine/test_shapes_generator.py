"""The synthetic shapes: the generator is deterministic, and the analyser reads its own pictures correctly."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from lorabias_engine.shapes.analyse import analyse, leakage, pair_change
from lorabias_engine.shapes.generator import (BACKGROUNDS, COLORS, SHAPES, SIZES, ShapeSpec, batch, render,
                                              spec_for_seed, with_size)


def test_same_seed_same_pictures_and_captions():
    a_imgs, a_caps, a_specs = batch(7, 40)
    b_imgs, b_caps, b_specs = batch(7, 40)
    assert a_imgs.shape == (40, 32, 32, 3) and a_imgs.dtype == np.uint8
    assert np.array_equal(a_imgs, b_imgs) and a_caps == b_caps and a_specs == b_specs
    c_imgs, _, _ = batch(8, 40)
    assert not np.array_equal(a_imgs, c_imgs)


def test_pinned_digest():
    """Pins the generator's output: a change to the drawing code changes the demo data and the model's data."""
    imgs, caps, _ = batch(0, 16)
    digest = hashlib.sha256(imgs.tobytes() + "\n".join(caps).encode()).hexdigest()
    assert digest == PINNED, digest


def test_captions_are_danbooru_style_tags():
    spec = spec_for_seed(3)
    tags = spec.caption().split(", ")
    assert tags[0] in SIZES and tags[1] in COLORS and tags[2] in SHAPES and tags[3] in BACKGROUNDS
    assert ShapeSpec("circle", "red", "large", "white background").caption(with_position=False) == \
        "large, red, circle, white background"


def test_analyser_reads_its_own_pictures():
    imgs, _, specs = batch(123, 200)
    wrong = {"color": 0, "size": 0, "shape": 0, "background": 0}
    for img, spec in zip(imgs, specs):
        got = analyse(img)
        for key in wrong:
            wrong[key] += got[key] != getattr(spec, key)
    assert wrong == {"color": 0, "size": 0, "shape": 0, "background": 0}


@pytest.mark.parametrize("layout", ["hwc_uint8", "chw_float", "torch_chw"])
def test_analyser_accepts_every_layout(layout):
    img = render(ShapeSpec("triangle", "blue", "large", "grey background"))
    if layout == "chw_float":
        img = img.transpose(2, 0, 1) / 255.0
    elif layout == "torch_chw":
        import torch
        img = torch.from_numpy(img).permute(2, 0, 1).float() / 255
    got = analyse(img)
    assert (got["shape"], got["color"], got["size"], got["background"]) == ("triangle", "blue", "large", "grey background")


def test_empty_picture_has_no_shape():
    img = np.full((32, 32, 3), 245, np.uint8)
    assert analyse(img)["size"] == "none" and analyse(img)["color"] is None


def test_leakage_metrics():
    small = ShapeSpec("circle", "blue", "small", "white background")
    big = with_size(small, "large")
    big_red = ShapeSpec("circle", "red", "large", "white background")
    same = pair_change(render(small), render(big))
    assert same["size_change"] > 1.5 and same["color_shift"] < 0.02
    reddened = pair_change(render(small), render(big_red))
    assert reddened["color_shift"] > 0.5 and reddened["red_shift"] > 0.3
    table = leakage([(render(small), render(big)), (render(small), render(big_red))])
    assert table["valid"] == 2 and table["color_per_size"] == pytest.approx(table["color_shift"] / table["size_change"])
    assert leakage([(render(small), render(small))])["color_per_size"] is None  # a LoRA that does nothing


PINNED = "485e9ebf7a094592981cdf7a728be87c56544a86bfca713f471b6696018b0bf7"
