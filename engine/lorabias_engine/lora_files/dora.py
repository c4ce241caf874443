"""DoRA (weight-decomposed LoRA): the file's magnitude replaces the norm of the merged weight.

LyCORIS/kohya files store `dora_scale` beside any LoRA/LoHa/LoKr module: (1, in, 1…) when the norm is taken per
input channel (LyCORIS' default; ComfyUI's only mode), (out, 1, 1…) with LyCORIS' wd_on_out. peft stores
`lora_magnitude_vector` (out,), normed per output channel. With W the layer's weight and ΔW the module's
difference: W' = dora_scale · (W + ΔW) / ‖W + ΔW‖. A multiplier s applies W + s · (W' − W), as ComfyUI does,
so the adapter adds the fixed difference W' − W scaled by s.
"""
from __future__ import annotations

import torch

from .lowrank import Unfit


def dora_difference(weight: torch.Tensor, delta: torch.Tensor, magnitude: torch.Tensor, per_output: bool | None = None
                    ) -> torch.Tensor:
    """W' − W for the layer weight `weight` (out, in, …) and the module's difference `delta` (same shape)."""
    w = weight.float()
    merged = w + delta.float().to(w.device)
    m = magnitude.float()
    out, fan_in = w.shape[0], w.shape[1]
    if per_output is None:
        if m.dim() >= 2 and m.shape[0] == 1 and m.shape[1] == fan_in:
            per_output = False
        elif m.shape[0] == out and m[0].numel() == 1:
            per_output = True
        else:
            raise Unfit("DoRA scale of unexpected shape")
    if per_output:
        norm = merged.reshape(out, -1).norm(dim=1).reshape(out, *[1] * (w.dim() - 1))
        m = m.reshape(out, *[1] * (w.dim() - 1))
    else:
        norm = merged.transpose(0, 1).reshape(fan_in, -1).norm(dim=1).reshape(1, fan_in, *[1] * (w.dim() - 2))
        m = m.reshape(1, fan_in, *[1] * (w.dim() - 2))
    return (merged * (m.to(w.device) / norm) - w).cpu()
