"""The demo's claim on `builtin:tiny-shapes`, measured by the fair harness (docs/method.md), figures printed.

The demo recipe's `naive` LoRA (trained on large shapes that are red 80% of the time) and its `size` LoRA (the
route of recipes/demo.lorabias, settings read from the recipe) are applied at weights +1 and −1 to prompts that
state a colour but no size (family b) and neither size nor colour (family c), every shape × background, on the
harness's test split (one seed per combination here: 24 prompts; bench/engine/method_harness.py runs all 48 and
family a). The project's bar for the method (docs/method.md):

- at +1 `size` grows shapes by at least +50% area, at −1 it shrinks them;
- at each weight its colour shift and its background change per unit of size change are each at most 1/3 of the
  naive LoRA's.

The first test asserts what holds today (size up at +1, down at −1, less leakage than naive at both weights);
the second asserts the bar itself and is a strict xfail while it is not reached: it fails the suite the day it
passes, so the marker must then come off.
"""
from __future__ import annotations

import json
import time

import pytest

from lorabias_engine.builtin import builtin_is_trained
from lorabias_engine.shapes import claim as C
from lorabias_engine.shapes import harness as H

pytestmark = pytest.mark.skipif(not builtin_is_trained(), reason="tiny-shapes weights not in the repo")


@pytest.fixture(scope="module")
def measured(tiny, registry, tmp_path_factory):
    t0 = time.time()
    print()
    paths = C.train_loras(tiny, registry, tmp_path_factory.mktemp("claim"))
    res = H.evaluate(tiny, {"naive": paths["naive"], "size": paths["size"]}, (1.0, -1.0), ("b", "c"), "test", every=2)
    print(H.table(res, groups=("bc",)))
    bar = H.bar(res)
    print(json.dumps(bar["weights"], indent=1))
    print(f"claim measurement: {time.time() - t0:.1f} s")
    return res, bar


def test_size_lora_grows_at_plus_one_shrinks_at_minus_one_and_leaks_less_than_naive(measured):
    """What holds on the committed weights (2026-12-01: colour per unit of size 1.5x / 4.6x below naive at +1 / -1,
    background 1.1x / 2.1x)."""
    res, bar = measured
    for w in (1.0, -1.0):
        s = res["size"][w]["bc"]
        assert s["valid"] >= 16, f"too few pairs with a shape in both pictures at {w:+g}: {s['valid']}/{s['pairs']}"
    assert res["size"][1.0]["bc"]["size_change"] >= 0.5, res["size"][1.0]["bc"]
    assert res["size"][-1.0]["bc"]["size_change"] < -H.MIN_SIZE_CHANGE, res["size"][-1.0]["bc"]
    for w in (1.0, -1.0):
        for k in ("color_per_size", "background_per_size"):
            c = bar["weights"][w][k]
            assert c["lora"] is not None and c["lora"] < c["naive"], f"at {w:+g}: {k} of size {c['lora']} vs naive {c['naive']}"


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="not reached on 2026-12-01 (docs/method.md): at +1 colour / size is 1.5x and "
                   "background / size 1.1x below naive, at -1 4.6x and 2.1x; the bar asks 3x for both")
def test_done_when_bar_a_third_of_naive_colour_and_background_per_unit_of_size(measured):
    res, bar = measured
    for w in (1.0, -1.0):
        for k in ("color_per_size", "background_per_size"):
            c = bar["weights"][w][k]
            assert c["ok"], f"at {w:+g}: {k} of size {c['lora']} vs naive {c['naive']} (needs ≤ 1/3)"
