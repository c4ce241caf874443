"""LoRA adapters on a loaded model, through peft: add a trainable one, apply a file frozen with a multiplier,
read one back in kohya format, and take them all off again so the cached model stays clean."""
from __future__ import annotations

import logging
from contextlib import contextmanager

import torch
import torch.nn as nn

from .kohya_keys import kohya_name, lora_target_paths
from .lora_files import apply_lora_file, inspect_lora_file, read_lora_file  # noqa: F401 (files made by other tools)
from .models.loaded import LoadedModel
from .peft_adapters import inject as _inject
from .peft_adapters import lora_layers as _lora_layers
from .peft_adapters import set_multiplier as _set_multiplier

log = logging.getLogger(__name__)


def activate(model: LoadedModel, adapters: list[str], trainable: str | None = None) -> None:
    """Make exactly `adapters` active everywhere; only `trainable`'s weights get gradients."""
    for component in model.modules_for_lora().values():
        for _name, layer in _lora_layers(component):
            layer.set_adapter([a for a in adapters if a in layer.lora_A] or adapters[:1])
            for adapter in list(layer.lora_A.keys()):
                grad = adapter == trainable
                for p in (*layer.lora_A[adapter].parameters(), *layer.lora_B[adapter].parameters()):
                    p.requires_grad_(grad)


def set_multiplier(model: LoadedModel, adapter: str, multiplier: float) -> None:
    _set_multiplier(model.modules_for_lora().values(), adapter, multiplier)


def remove_adapters(model: LoadedModel, adapters: list[str]) -> None:
    """Delete the adapters; layers left without any go back to the plain module (the cached model stays clean)."""
    for component in model.modules_for_lora().values():
        for name, layer in _lora_layers(component):
            for adapter in adapters:
                if adapter in layer.lora_A:
                    layer.delete_adapter(adapter)
            layer._active_adapter = [a for a in layer.active_adapters if a in layer.lora_A]
            if not layer.lora_A:
                parent_name, _, child = name.rpartition(".")
                parent = component.get_submodule(parent_name) if parent_name else component
                setattr(parent, child, layer.get_base_layer())
        if not _lora_layers(component) and hasattr(component, "peft_config"):
            del component.peft_config


def add_trainable(model: LoadedModel, adapter: str, rank: int, alpha: float, conv_rank: int = 0,
                  conv_alpha: float | None = None, text_encoder: bool = False) -> list[nn.Parameter]:
    """A fresh LoRA (down: Kaiming, up: zeros, as sd-scripts) on the UNet's attention (+text encoders). With
    `conv_rank` > 0 also LoCon's resnet/sampler layers, as sd-scripts' `conv_dim`: their 3×3 convolutions get
    `conv_rank`/`conv_alpha` (default alpha: conv_rank), their Linear and 1×1 layers `rank`/`alpha`."""
    params = []
    for prefix, component in model.modules_for_lora().items():
        if prefix != "unet" and not text_encoder:
            continue
        conv = conv_rank > 0 and prefix == "unet"
        named = dict(component.named_modules())
        paths = lora_target_paths(component, conv=conv)
        ranks, alphas = {}, {}
        for p in paths:
            layer = getattr(named[p], "get_base_layer", lambda m=named[p]: m)()
            spatial = isinstance(layer, nn.Conv2d) and tuple(layer.kernel_size) != (1, 1)
            ranks[p] = conv_rank if spatial else rank
            alphas[p] = float(conv_alpha if conv_alpha else conv_rank) if spatial else float(alpha)
        _inject(component, adapter, paths, ranks, alphas)
        for _name, layer in _lora_layers(component):
            if adapter in layer.lora_A:
                layer.lora_A[adapter].to(torch.float32)
                layer.lora_B[adapter].to(torch.float32)
                params += [*layer.lora_A[adapter].parameters(), *layer.lora_B[adapter].parameters()]
    return params


def extract_kohya(model: LoadedModel, adapter: str, dtype: torch.dtype = torch.float16) -> dict[str, torch.Tensor]:
    """The adapter's weights under kohya names: <name>.lora_down.weight, .lora_up.weight, .alpha."""
    out = {}
    for prefix, component in model.modules_for_lora().items():
        for path, layer in _lora_layers(component):
            if adapter not in layer.lora_A:
                continue
            name = kohya_name(prefix, path, model.family, model.unet)
            out[f"{name}.lora_down.weight"] = layer.lora_A[adapter].weight.detach().to("cpu", dtype).contiguous()
            out[f"{name}.lora_up.weight"] = layer.lora_B[adapter].weight.detach().to("cpu", dtype).contiguous()
            out[f"{name}.alpha"] = torch.tensor(float(layer.lora_alpha[adapter]), dtype=dtype)
    return out


def load_trainable_state(model: LoadedModel, adapter: str, state: dict[str, torch.Tensor]) -> None:
    """Put kohya-keyed weights (a checkpoint) back into the trainable adapter."""
    for prefix, component in model.modules_for_lora().items():
        for path, layer in _lora_layers(component):
            if adapter not in layer.lora_A:
                continue
            name = kohya_name(prefix, path, model.family, model.unet)
            with torch.no_grad():
                layer.lora_A[adapter].weight.copy_(state[f"{name}.lora_down.weight"])
                layer.lora_B[adapter].weight.copy_(state[f"{name}.lora_up.weight"])


@contextmanager
def loras_applied(model: LoadedModel, loras: list[dict], prefix: str):
    """Apply [{path, weight}] frozen for the duration of a request, then take them off again."""
    names = []
    try:
        for i, spec in enumerate(loras):
            name = f"{prefix}{i}"
            apply_lora_file(model, spec["path"], name, float(spec.get("weight", 1.0)))
            names.append(name)
        yield names
    finally:
        remove_adapters(model, names)
