#!/usr/bin/env python3
"""Build the tiny WD14-format tagger used by lorabias's tests (no downloads).

Writes test/fixtures/dataset/tiny-tagger/{model.onnx,selected_tags.csv}, the same model laid out NCHW in
tiny-tagger-nchw/, and not-a-tagger/ (a model whose input is not an image). The model has the signature of the
SmilingWolf WD14 taggers: input `input_1:0` float32 NHWC [batch, 32, 32, 3] (dynamic batch; BGR, 0-255),
output `predictions_sigmoid` float32 [batch, 12]. Its scores depend on the image in a known way: the mean of
each channel over the image, through fixed weights and a sigmoid, so a test can say which tags must fire:

  red_theme / green_theme / blue_theme  fire on a red / green / blue image (checks the BGR order)
  white_background                       fires on a light image, dark on a dark one
  ^_^                                    always 0.5 (a kaomoji: its underscore must survive)
  mid_score                              always 0.4 (above the 0.35 default, below a 0.45 threshold)
  hatsune_miku (character)               fires on cyan (B and G high, R low), 0.5 on green (below 0.85)
  ratings general/sensitive/questionable/explicit: constant, general highest

Needs the `onnx` and `numpy` Python packages:
  python3 -m venv /tmp/onnxvenv && /tmp/onnxvenv/bin/pip install onnx numpy
  /tmp/onnxvenv/bin/python scripts/make-tiny-tagger.py
"""
import csv
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 32
S = 1 / 255
# (name, category, weights for the B, G, R means, bias) -- category 9 rating, 0 general, 4 character
TAGS = [
    ("general", 9, (0, 0, 0), 2.0),
    ("sensitive", 9, (0, 0, 0), 0.0),
    ("questionable", 9, (0, 0, 0), -2.0),
    ("explicit", 9, (0, 0, 0), -4.0),
    ("red_theme", 0, (0, 0, 20 * S), -10.0),
    ("green_theme", 0, (0, 20 * S, 0), -10.0),
    ("blue_theme", 0, (20 * S, 0, 0), -10.0),
    ("white_background", 0, (10 * S, 10 * S, 10 * S), -25.0),
    ("dark", 0, (-10 * S, -10 * S, -10 * S), 5.0),
    ("^_^", 0, (0, 0, 0), 0.0),
    ("mid_score", 0, (0, 0, 0), math.log(0.4 / 0.6)),
    ("hatsune_miku", 4, (10 * S, 10 * S, -10 * S), -10.0),
]


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "dataset")


def write_tagger(name: str, nchw: bool) -> None:
    out = os.path.join(FIXTURES, name)
    os.makedirs(out, exist_ok=True)
    w = np.array([t[2] for t in TAGS], dtype=np.float32).T  # [3, n]
    b = np.array([t[3] for t in TAGS], dtype=np.float32)
    shape = ["batch", 3, SIZE, SIZE] if nchw else ["batch", SIZE, SIZE, 3]
    x = helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, shape)
    y = helper.make_tensor_value_info("predictions_sigmoid", TensorProto.FLOAT, ["batch", len(TAGS)])
    nodes = [
        helper.make_node("ReduceMean", ["input_1:0"], ["means"], axes=[2, 3] if nchw else [1, 2], keepdims=0),  # [batch, 3] (B, G, R)
        helper.make_node("MatMul", ["means", "W"], ["logits0"]),
        helper.make_node("Add", ["logits0", "B"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["predictions_sigmoid"]),
    ]
    graph = helper.make_graph(nodes, "tiny_wd14_tagger", [x], [y], [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="lorabias make-tiny-tagger")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "model.onnx"))
    with open(os.path.join(out, "selected_tags.csv"), "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["tag_id", "name", "category", "count"])
        for i, (name, cat, _, _) in enumerate(TAGS):
            wr.writerow([9000000 + i, name, cat, 1000 - i])
    print(f"wrote {out}/model.onnx ({os.path.getsize(os.path.join(out, 'model.onnx'))} bytes) and selected_tags.csv ({len(TAGS)} tags)")


def write_not_a_tagger() -> None:
    """A model whose input is not an image ([batch, 10] -> [batch, 12]), with a matching CSV."""
    out = os.path.join(FIXTURES, "not-a-tagger")
    os.makedirs(out, exist_ok=True)
    x = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 10])
    y = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", len(TAGS)])
    w = numpy_helper.from_array(np.zeros((10, len(TAGS)), dtype=np.float32), "W")
    graph = helper.make_graph([helper.make_node("MatMul", ["features", "W"], ["scores"])], "not_a_tagger", [x], [y], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="lorabias make-tiny-tagger")
    model.ir_version = 8
    onnx.save(model, os.path.join(out, "model.onnx"))
    with open(os.path.join(FIXTURES, "tiny-tagger", "selected_tags.csv")) as src, open(os.path.join(out, "selected_tags.csv"), "w") as dst:
        dst.write(src.read())
    print(f"wrote {out}/model.onnx")


def main() -> None:
    write_tagger("tiny-tagger", nchw=False)
    write_tagger("tiny-tagger-nchw", nchw=True)
    write_not_a_tagger()


if __name__ == "__main__":
    main()
