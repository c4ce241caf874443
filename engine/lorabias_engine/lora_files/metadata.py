"""The alphas diffusers (≥0.35) and peft keep in a file's `lora_adapter_metadata` instead of `.alpha` tensors.

The value is peft's LoraConfig as JSON, either for the whole file (`{"r": 4, "lora_alpha": 8, …}`) or per
component with the component as prefix (`{"unet.r": 4, "unet.lora_alpha": 8, "text_encoder.lora_alpha": …}`).
A module's scale is lora_alpha / r (alpha / √r with use_rslora), alpha_pattern overriding lora_alpha for
modules whose path ends with a pattern key, exactly as peft reads its config.
"""
from __future__ import annotations

import json
import math
import re

COMPONENTS = ("unet", "text_encoder", "text_encoder_2", "transformer")


class AdapterConfig:
    def __init__(self, config: dict):
        self.alpha = config.get("lora_alpha")
        self.patterns = dict(config.get("alpha_pattern") or {})
        self.rslora = bool(config.get("use_rslora", False))

    def scale(self, path: str, rank: int) -> float | None:
        alpha = self.alpha
        for pattern, value in self.patterns.items():
            if re.fullmatch(rf"(.*\.)?(?:{pattern})", path):
                alpha = value
                break
        if alpha is None:
            return None
        return float(alpha) / (math.sqrt(rank) if self.rslora else rank)


def adapter_configs(metadata: dict) -> dict[str, AdapterConfig]:
    """Component ("unet", "text_encoder", … or "" for the whole file) → its config; {} without the key."""
    raw = (metadata or {}).get("lora_adapter_metadata")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    per: dict[str, dict] = {}
    for key, value in data.items():
        comp, _, rest = key.partition(".")
        if comp in COMPONENTS and rest:
            per.setdefault(comp, {})[rest] = value
        else:
            per.setdefault("", {})[key] = value
    return {comp: AdapterConfig(cfg) for comp, cfg in per.items()}
