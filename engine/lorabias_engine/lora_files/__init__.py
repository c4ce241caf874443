"""LoRA files made by other tools, applied to a loaded model the way A1111/Forge and ComfyUI apply them.

    keys.py      a file's tensor names → modules and the role of each tensor (lora_down, hada_w1_a, …)
    layers.py    the names a model's layers go by (kohya with diffusers or SGM paths, diffusers/peft dotted)
    metadata.py  alphas diffusers keeps in `lora_adapter_metadata`
    lowrank.py   LoRA, LoCon and Tucker (`lora_mid`) as exact low-rank factors
    lycoris.py   LoHa and LoKr as the weight difference they add
    dora.py      DoRA's weight decomposition (`dora_scale`, peft's `lora_magnitude_vector`)
    plan.py      the dispatcher: every module of a file → what it adds to which layer, or why it is skipped
    apply.py     the plan as frozen peft adapters with a multiplier, and the report the cell shows
"""
from .apply import apply_lora_file, inspect_lora_file, read_lora_file

__all__ = ["apply_lora_file", "inspect_lora_file", "read_lora_file"]
