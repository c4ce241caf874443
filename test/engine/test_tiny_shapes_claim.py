"""The demo's claim on `builtin:tiny-shapes`, with figures printed.

A naive size LoRA trained on large shapes that are red 80% of the time (recipes/demo-data/biased) and a size LoRA
trained the bias-then-train way (a copier on four small shapes, a target on the same pictures with the shapes
large, over the copier) — both with the settings of recipes/demo.lorabias — are applied at weight 1 to small
shapes in other colours. Over 12 prompt x seed pairs:

1. the naive LoRA's colour shift per unit of size change is at least 3x the bias-then-train LoRA's;
2. the bias-then-train LoRA makes shapes larger by at least half as much as the naive one.

Metrics: docs/tiny-shapes.md (fixed before tuning). The settings were chosen on the demo's preview prompts and
seeds and on prompt set 1; this test's set (seed 4242) was not looked at while choosing them.
"""
from __future__ import annotations

import time

import pytest

from lorabias_engine.builtin import builtin_is_trained
from lorabias_engine.shapes import claim as C

pytestmark = pytest.mark.skipif(not builtin_is_trained(), reason="tiny-shapes weights not in the repo")

TEST_SET_SEED, PAIRS, WEIGHT = 4242, 12, 1.0


def test_bias_then_train_leaks_less_colour_per_unit_of_size(tiny, registry, tmp_path):
    t0 = time.time()
    print()
    paths = C.train_loras(tiny, registry, tmp_path)
    wants = C.small_prompts(PAIRS, TEST_SET_SEED)
    res = C.claim(tiny, paths, wants, WEIGHT)
    naive, btt = res["naive"], res["target"]
    print(f"claim test: {time.time() - t0:.1f} s in all")
    ratio = None
    if naive["color_per_size"] is not None and btt["color_per_size"] is not None:
        ratio = naive["color_per_size"] / max(btt["color_per_size"], 1e-9)
    print(f"naive / bias-then-train colour shift per unit of size change: {ratio}")
    assert naive["valid"] >= 8 and btt["valid"] >= 8, "too few pairs with a shape in both pictures"
    assert naive["size_change"] > 0.05, f"the naive LoRA should make shapes larger: {naive['size_change']:+.3f}"
    assert btt["size_change"] >= 0.5 * naive["size_change"], \
        f"bias-then-train size change {btt['size_change']:+.3f} < half the naive one {naive['size_change']:+.3f}"
    assert ratio is not None and ratio >= 3, \
        f"naive {naive['color_per_size']} vs bias-then-train {btt['color_per_size']}"
