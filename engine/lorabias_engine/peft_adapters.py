"""The two peft calls every adapter goes through: inject LoRA layers on exact module paths, and find them again."""
from __future__ import annotations

import re

import torch.nn as nn


def lora_layers(module: nn.Module):
    from peft.tuners.lora import LoraLayer

    return [(name, m) for name, m in module.named_modules() if isinstance(m, LoraLayer)]


def _exact(paths) -> str:
    return "^(" + "|".join(re.escape(p) for p in paths) + ")$"


def inject(model: nn.Module, adapter: str, paths: list[str], ranks: dict[str, int], alphas: dict[str, float]) -> None:
    """LoRA layers named `adapter` on exactly `paths`, each with its rank and alpha (peft scale = alpha / rank)."""
    from peft import LoraConfig, inject_adapter_in_model

    default_r = max(ranks.values())
    config = LoraConfig(r=default_r, lora_alpha=alphas[paths[0]], target_modules=_exact(paths),
                        rank_pattern={re.escape(p): r for p, r in ranks.items()},
                        alpha_pattern={re.escape(p): a for p, a in alphas.items()}, init_lora_weights=True)
    inject_adapter_in_model(config, model, adapter_name=adapter)


def set_multiplier(components, adapter: str, multiplier: float) -> None:
    for component in components:
        for _name, layer in lora_layers(component):
            layer.set_scale(adapter, multiplier)
