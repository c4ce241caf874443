"""The fair harness's measures (lorabias_engine/shapes/harness.py) on the generator's own pictures, where the
true answer is known, and its prompt sets."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lorabias_engine.shapes import harness as H
from lorabias_engine.shapes.generator import BACKGROUNDS, SHAPES, ShapeSpec, render, with_size

SPEC = ShapeSpec("circle", "blue", "small", "white background")


def test_a_pure_enlargement_is_all_size_and_nothing_else():
    f = H.pair_figures(render(SPEC), render(with_size(SPEC, "large")))
    assert f["valid"]
    assert 1.6 < f["size_change"] < 2.3  # 117 px → 346 px of the 1024
    assert f["color_shift"] < 0.02
    assert f["background_change"] < 0.005
    assert f["shape_changed"] is False


def test_colour_and_background_changes_are_measured_apart_from_size():
    recolour = H.pair_figures(render(SPEC), render(replace(SPEC, color="red")))
    assert abs(recolour["size_change"]) < 0.1 and recolour["color_shift"] > 0.5 and recolour["background_change"] < 0.005
    grey = H.pair_figures(render(SPEC), render(replace(SPEC, background="grey background")))
    assert grey["background_change"] == pytest.approx((245 - 128) / 255, abs=0.01)
    assert grey["color_shift"] < 0.05


def test_the_background_profile_says_where_a_change_sits():
    grow = H.background_profile(render(SPEC), render(with_size(SPEC, "large")))
    assert len(grow) == 7 and max(v for v in grow if v is not None) < 0.01  # a clean enlargement changes no ring
    grey = H.background_profile(render(SPEC), render(replace(SPEC, background="grey background")))
    assert all(v == pytest.approx((245 - 128) / 255, abs=0.01) for v in grey[1:])  # the whole background moved
    halo = render(SPEC).astype(float)
    halo[8:24, 6] -= 40  # a streak 4 px left of the circle's edge, nothing farther out
    near = H.background_profile(render(SPEC), halo.clip(0, 255).astype("uint8"))
    assert near[-1] < 0.002 and max(near[:-1]) > 0.02


def test_summary_per_unit_of_size_and_the_bar():
    grow = H.pair_figures(render(SPEC), render(with_size(SPEC, "large")))
    leaky = H.pair_figures(render(SPEC), render(with_size(replace(SPEC, color="red", background="grey background"), "large")))
    clean, dirty = H.summarize([grow, grow]), H.summarize([leaky, leaky])
    assert dirty["color_per_size"] > 10 * clean["color_per_size"] + 0.1
    assert dirty["background_per_size"] > 0.1 > clean["background_per_size"]
    nothing = H.summarize([H.pair_figures(render(SPEC), render(SPEC))])
    assert nothing["size_change"] == pytest.approx(0) and nothing["color_per_size"] is None
    shrink = H.summarize([H.pair_figures(render(with_size(SPEC, "large")), render(SPEC))])
    res = {"size": {1.0: {"bc": clean}, -1.0: {"bc": shrink}}, "naive": {1.0: {"bc": dirty}, -1.0: {"bc": dirty}}}
    assert H.bar(res)["ok"]
    res["size"][1.0]["bc"] = dirty
    assert not H.bar(res)["ok"]


def test_prompt_families_cover_every_shape_and_background_and_splits_do_not_share_seeds():
    for fam in "abc":
        test, tune = H.prompts(fam, "test"), H.prompts(fam, "tuning")
        assert {(w["shape"], w["background"]) for w in test} == {(s, b) for s in SHAPES for b in BACKGROUNDS}
        assert len(test) == 24 and len(tune) == 12
        assert not {w["seed"] for w in test} & {w["seed"] for w in tune}
    assert all(w["prompt"].startswith("small, ") for w in H.prompts("a"))
    assert not any("small" in w["prompt"] or "large" in w["prompt"] for f in "bc" for w in H.prompts(f))
    assert all(w["color"] is None and w["prompt"].count(",") == 1 for w in H.prompts("c"))
    assert len({w["color"] for w in H.prompts("b")}) == 5


def test_preview_figures_from_files(tmp_path):
    from PIL import Image

    ims = []
    for w, spec in ((0, SPEC), (1.0, with_size(SPEC, "large")), (-1.0, replace(SPEC, radius=5.0))):
        p = tmp_path / f"w{w}.png"
        Image.fromarray(render(spec)).save(p)
        ims.append({"path": str(p), "prompt": "x", "seed": 1, "weight": w})
    rows = {r["weight"]: r for r in H.preview_leakage(ims)}
    assert set(rows) == {1.0, -1.0}
    assert rows[1.0]["size_change"] > 1.5 and rows[-1.0]["size_change"] < -0.2
    assert rows[1.0]["background_change"] < 0.005


def test_a_tiny_family_weight_sweep_returns_the_harness_figures(random_tiny, registry, tmp_path):
    from lorabias_engine.protocol import JobContext
    from lorabias_engine.sample import sample
    from lorabias_engine.train import train

    png = tmp_path / "a.png"
    from PIL import Image

    Image.fromarray(render(SPEC)).save(png)
    lora = train({"model_id": random_tiny.model_id, "images": [str(png)], "output": str(tmp_path / "l.safetensors"),
                  "rank": 2, "steps": 2, "lr": 1e-2, "resolution": 32}, JobContext("t"), registry)
    r = sample({"model_id": random_tiny.model_id, "prompts": ["circle, white background"], "seeds": [1, 2],
                "loras": [{"path": lora["path"], "weight": 0}], "weights": [0, 1], "steps": 2,
                "output_dir": str(tmp_path / "out")}, JobContext("s"), registry)
    rows = r["shapes_leakage"]
    assert [row["weight"] for row in rows] == [1] and rows[0]["pairs"] == 2
    assert {"size_change", "color_shift", "background_change", "color_per_size", "background_per_size"} <= set(rows[0])
    r = sample({"model_id": random_tiny.model_id, "prompts": ["circle"], "seeds": [1], "steps": 2,
                "loras": [{"path": lora["path"], "weight": 1}], "output_dir": str(tmp_path / "o2")}, JobContext("s"), registry)
    assert "shapes_leakage" not in r, "no weight 0 in the request: nothing to compare against"
