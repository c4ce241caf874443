"""LoRA, LoCon and Tucker (`lora_mid`) modules as exact low-rank factors: ΔW = scale · up @ down.

kohya/ComfyUI: scale = alpha / rank, rank = lora_down's first dimension; without `.alpha`, scale 1. A Tucker
(CP) LoCon stores a 1×1 `lora_down` (r, in), a k×k core `lora_mid` (r, r, kh, kw) and a 1×1 `lora_up` (out, r);
its weight is Σ up[o, a] · mid[a, b, h, w] · down[b, i], which folds into one k×k down kernel without loss.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn


class Unfit(Exception):
    """This module cannot be applied to that layer; `kind` says why, for the report."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass
class LowRank:
    up: torch.Tensor  # (out, r)
    down: torch.Tensor  # (r, in) for Linear, (r, in, kh, kw) for Conv2d
    scale: float

    @property
    def rank(self) -> int:
        return int(self.down.shape[0])

    def dense(self) -> torch.Tensor:
        return self.scale * (self.up @ self.down.flatten(1)).reshape(self.up.shape[0], *self.down.shape[1:])


def weight_shape(layer: nn.Module) -> tuple[int, ...]:
    if isinstance(layer, nn.Linear):
        return (layer.out_features, layer.in_features)
    if isinstance(layer, nn.Conv2d):
        if layer.groups != 1:
            raise Unfit("grouped convolution")
        return (layer.out_channels, layer.in_channels, *layer.kernel_size)
    raise Unfit(f"{type(layer).__name__} layer (only Linear and Conv2d layers take a LoRA)")


def fit_down(down: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """down (r, …) reshaped to the layer's input side: (r, in) or (r, in, kh, kw)."""
    if down[0].numel() != _prod(shape[1:]):
        raise Unfit("shape does not fit the layer")
    return down.reshape(down.shape[0], *shape[1:])


def lora_factors(t: dict[str, torch.Tensor], layer: nn.Module, scale: float | None = None) -> LowRank:
    """`scale` given by the caller (diffusers metadata) wins over the module's `.alpha`."""
    shape = weight_shape(layer)
    down, up = t["down"].float(), t["up"].float()
    rank = down.shape[0]
    if scale is None:
        scale = float(t["alpha"]) / rank if "alpha" in t else 1.0
    if "mid" in t:
        mid = t["mid"].float()
        if mid.dim() != 4 or mid.shape[1] != rank:
            raise Unfit("Tucker core (lora_mid) of unexpected shape")
        down = torch.einsum("abhw,bi->aihw", mid, down.flatten(1))
    up = up.flatten(1)
    if up.shape[0] != shape[0] or up.shape[1] != down.shape[0]:
        raise Unfit("shape does not fit the layer")
    return LowRank(up=up, down=fit_down(down, shape), scale=scale)


def dense_factors(delta: torch.Tensor, layer: nn.Module) -> LowRank:
    """A full weight difference as factors that multiply back to it exactly (one side the identity)."""
    shape = weight_shape(layer)
    if delta.numel() != _prod(shape):
        raise Unfit("shape does not fit the layer")
    delta = delta.reshape(shape).float()
    out, fan_in = shape[0], _prod(shape[1:])
    if isinstance(layer, nn.Linear) and fan_in < out:
        return LowRank(up=delta, down=torch.eye(fan_in), scale=1.0)
    return LowRank(up=torch.eye(out), down=delta, scale=1.0)


def _prod(dims) -> int:
    n = 1
    for d in dims:
        n *= int(d)
    return n
