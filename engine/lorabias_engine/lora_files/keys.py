"""A LoRA file's tensor names split into module name and role.

Every tool writes `<module>.<role>`: kohya/LyCORIS `lora_unet_…_to_q.lora_down.weight`, `.alpha`, `.hada_w1_a`,
`.lokr_w1`, `.dora_scale`; peft `unet.…to_q.lora_A.weight` (or `lora_A.default.weight`); older diffusers
attention processors `…attn1.processor.to_q_lora.down.weight`; transformers-style `…lora_linear_layer.up.weight`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

# suffix → role, longest first so that `lora_A.default.weight` wins over `weight`
ROLE_SUFFIXES = {
    "lora_down.weight": "down", "lora_up.weight": "up", "lora_mid.weight": "mid",
    "lora_A.default.weight": "down", "lora_B.default.weight": "up", "lora_A.weight": "down", "lora_B.weight": "up",
    "lora.down.weight": "down", "lora.up.weight": "up",
    "lora_linear_layer.down.weight": "down", "lora_linear_layer.up.weight": "up",
    "lora_magnitude_vector.default.weight": "magnitude", "lora_magnitude_vector.weight": "magnitude",
    "lora_magnitude_vector": "magnitude", "lora_B.bias": "up_bias",
    "alpha": "alpha", "dora_scale": "dora_scale", "wd_for_diff": "wd_for_diff", "reshape_weight": "reshape_weight",
    "hada_w1_a": "hada_w1_a", "hada_w1_b": "hada_w1_b", "hada_w2_a": "hada_w2_a", "hada_w2_b": "hada_w2_b",
    "hada_t1": "hada_t1", "hada_t2": "hada_t2",
    "lokr_w1": "lokr_w1", "lokr_w1_a": "lokr_w1_a", "lokr_w1_b": "lokr_w1_b",
    "lokr_w2": "lokr_w2", "lokr_w2_a": "lokr_w2_a", "lokr_w2_b": "lokr_w2_b", "lokr_t2": "lokr_t2",
    "diff": "diff", "diff_b": "diff_b", "w_norm": "w_norm", "b_norm": "b_norm",
    "oft_blocks": "oft", "oft_diag": "oft", "rescale": "oft_rescale", "boft_blocks": "boft",
    "a1.weight": "glora", "a2.weight": "glora", "b1.weight": "glora", "b2.weight": "glora",
    "on_input": "ia3", "weight": "weight",
}
_SUFFIXES = sorted(ROLE_SUFFIXES, key=len, reverse=True)
# diffusers' attention processors: `attn1.processor.to_q_lora.down.weight` is the LoRA of `attn1.to_q`
_PROCESSOR = re.compile(r"^(?P<module>.*)\.(?P<proj>to_q|to_k|to_v|to_out)_lora\.(?P<dir>down|up)\.weight$")


@dataclass
class ModuleTensors:
    """One module of a file: its name as written and its tensors by role."""
    name: str
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)


def split_key(key: str) -> tuple[str, str]:
    """`<module>.<suffix>` → (module, role); role "unknown" when no tool writes that suffix."""
    m = _PROCESSOR.match(key)
    if m:
        proj = "to_out.0" if m["proj"] == "to_out" else m["proj"]
        return f"{m['module']}.{proj}", m["dir"]
    for suffix in _SUFFIXES:
        if key.endswith("." + suffix):
            return key[: -len(suffix) - 1], ROLE_SUFFIXES[suffix]
    return key, "unknown"


def group_modules(state: dict[str, torch.Tensor]) -> dict[str, ModuleTensors]:
    modules: dict[str, ModuleTensors] = {}
    for key, tensor in state.items():
        name, role = split_key(key)
        modules.setdefault(name, ModuleTensors(name)).tensors[role] = tensor
    return modules
