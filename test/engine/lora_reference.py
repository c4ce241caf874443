"""The reference check of test_lora_files.py: a layer's output change under an applied LoRA file, compared in
float64 with the output change a reference weight difference predicts; and the helpers that name and fill the
files' tensors."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from lorabias_engine import lora

TOL = 1e-5


def _module(model, component: str, path: str):
    comp = model.modules_for_lora()[component]
    mod = comp.get_submodule(path)
    return mod.get_base_layer() if hasattr(mod, "get_base_layer") else mod


def _probe(layer) -> torch.Tensor:
    g = torch.Generator().manual_seed(7)
    if isinstance(layer, torch.nn.Linear):
        return torch.randn(5, layer.in_features, generator=g)
    return torch.randn(2, layer.in_channels, 9, 9, generator=g)


def _expected(layer, delta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if isinstance(layer, torch.nn.Linear):
        return x @ delta.reshape(layer.weight.shape).T
    return F.conv2d(x, delta.reshape(layer.weight.shape), stride=layer.stride, padding=layer.padding)


def applied(model, file, checks: dict[tuple[str, str], torch.Tensor], multiplier: float = 1.0) -> dict:
    """Apply `file`, and for each (component, path) assert the layer's output change equals multiplier × the
    reference difference's output on a probe input. Returns the engine's report."""
    # in float64, on copies of the layers: the change is a small difference of two outputs of magnitude ~10, which
    # in float32 carries rounding noise near the tolerance itself (and differs between CPUs' kernels)
    inputs, before = {}, {}
    with torch.no_grad():
        for key in checks:
            comp = model.modules_for_lora()[key[0]]
            inputs[key] = _probe(_module(model, *key)).double()
            before[key] = copy.deepcopy(comp.get_submodule(key[1])).double()(inputs[key])
    info = lora.apply_lora_file(model, file, "file", multiplier)
    try:
        lora.activate(model, ["file"])
        with torch.no_grad():
            for key, delta in checks.items():
                comp = model.modules_for_lora()[key[0]]
                change = copy.deepcopy(comp.get_submodule(key[1])).double()(inputs[key]) - before[key]
                want = multiplier * _expected(copy.deepcopy(_module(model, *key)).double(),
                                              delta.double(), inputs[key])
                assert want.abs().max() > 1e-3, "the reference difference must be visible for the test to mean anything"
                assert (change - want).abs().max() < TOL, (key, float((change - want).abs().max()))
    finally:
        lora.remove_adapters(model, ["file"])
    return info


def kohya(path: str, prefix: str = "lora_unet_") -> str:
    return prefix + path.replace(".", "_")


def rnd(*shape, seed=[0]):
    seed[0] += 1
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed[0])) * 0.3

