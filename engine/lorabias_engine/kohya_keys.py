"""Which modules get a LoRA, and their names in kohya's sd-scripts format (what A1111, Forge and ComfyUI load).

sd-scripts (networks/lora.py) puts a LoRA on every Linear and 1×1 Conv2d inside the UNet's Transformer2DModel
blocks and the text encoders' CLIPAttention/CLIPMLP; with conv LoRA (LoCon) also on the ResnetBlock2D,
Downsample2D and Upsample2D layers. The name is the module path with "." → "_" under a prefix:
`lora_unet_`, `lora_te_` (SD1.x) or `lora_te1_`/`lora_te2_` (SDXL).

SD1.x: sd-scripts trains a UNet with diffusers' module names, so the path is the diffusers one
(`lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q`).
SDXL: sd-scripts trains its own UNet with the original (SGM/LDM) names, and that is what the UIs expect
(`lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q`); `sgm_name` maps diffusers paths to those.
"""
from __future__ import annotations

from typing import Iterator

import torch.nn as nn

UNET_ATTENTION_BLOCKS = ("Transformer2DModel",)
UNET_CONV_BLOCKS = ("ResnetBlock2D", "Downsample2D", "Upsample2D")
TEXT_ENCODER_BLOCKS = ("CLIPAttention", "CLIPSdpaAttention", "CLIPFlashAttention2", "CLIPMLP")
PEFT_INTERNALS = ("base_layer", "lora_A", "lora_B", "lora_dropout", "lora_embedding_A", "lora_embedding_B",
                  "lora_magnitude_vector")


def _base(module: nn.Module) -> nn.Module:
    get_base = getattr(module, "get_base_layer", None)
    return get_base() if callable(get_base) else module


def iter_layers(model: nn.Module) -> Iterator[tuple[str, nn.Module, str]]:
    """(path, layer, parent block class) for every Linear/Conv2d, seen through peft wrappers."""
    for block_name, block in model.named_modules():
        cls = type(block).__name__
        if cls not in UNET_ATTENTION_BLOCKS + UNET_CONV_BLOCKS + TEXT_ENCODER_BLOCKS:
            continue
        for child_name, child in block.named_modules():
            if not child_name or any(part in PEFT_INTERNALS for part in child_name.split(".")):
                continue
            layer = _base(child)
            if isinstance(layer, (nn.Linear, nn.Conv2d)):
                yield f"{block_name}.{child_name}", layer, cls


def lora_target_paths(model: nn.Module, conv: bool = False) -> list[str]:
    """Module paths that get a LoRA, as sd-scripts chooses them (conv=True adds LoCon's resnet/sampler layers)."""
    paths = []
    for path, layer, cls in iter_layers(model):
        if cls in UNET_CONV_BLOCKS and not conv:
            continue
        is_1x1 = isinstance(layer, nn.Conv2d) and tuple(layer.kernel_size) == (1, 1)
        if isinstance(layer, nn.Linear) or is_1x1 or (conv and cls in UNET_CONV_BLOCKS):
            paths.append(path)
    return paths


_RESNET_SGM = {"conv1": "in_layers.2", "conv2": "out_layers.3", "time_emb_proj": "emb_layers.1",
               "conv_shortcut": "skip_connection", "norm1": "in_layers.0", "norm2": "out_layers.0"}
# the UNet's layers outside its blocks (LoCon/LyCORIS files also train these)
_TOP_SGM = {"conv_in": "input_blocks.0.0", "time_embedding.linear_1": "time_embed.0",
            "time_embedding.linear_2": "time_embed.2", "add_embedding.linear_1": "label_emb.0.0",
            "add_embedding.linear_2": "label_emb.0.2", "conv_norm_out": "out.0", "conv_out": "out.2"}


def sgm_name(path: str, layers_per_block: int, up_blocks_with_attention: set[int]) -> str:
    """A diffusers UNet module path → the SGM (original SDXL) path sd-scripts uses."""
    if path in _TOP_SGM:
        return _TOP_SGM[path]
    parts = path.split(".")
    per = layers_per_block + 1

    def resnet_rest(rest: list[str]) -> list[str]:
        return _RESNET_SGM.get(rest[0], rest[0]).split(".") + rest[1:]

    if parts[0] == "down_blocks":
        i, kind = int(parts[1]), parts[2]
        if kind == "downsamplers":  # down_blocks.i.downsamplers.0.conv → input_blocks.N.0.op
            return ".".join(["input_blocks", str((i + 1) * per), "0", "op"] + parts[5:])
        j, rest = int(parts[3]), parts[4:]
        n = i * per + j + 1
        if kind == "resnets":
            return ".".join(["input_blocks", str(n), "0"] + resnet_rest(rest))
        return ".".join(["input_blocks", str(n), "1"] + rest)
    if parts[0] == "mid_block":
        kind, j, rest = parts[1], int(parts[2]), parts[3:]
        if kind == "resnets":
            return ".".join(["middle_block", str(2 * j)] + resnet_rest(rest))
        return ".".join(["middle_block", "1"] + rest)
    if parts[0] == "up_blocks":
        i, kind = int(parts[1]), parts[2]
        if kind == "upsamplers":
            slot = "2" if i in up_blocks_with_attention else "1"
            return ".".join(["output_blocks", str(i * per + per - 1), slot] + parts[4:])
        j, rest = int(parts[3]), parts[4:]
        n = i * per + j
        if kind == "resnets":
            return ".".join(["output_blocks", str(n), "0"] + resnet_rest(rest))
        return ".".join(["output_blocks", str(n), "1"] + rest)
    return path


def kohya_name(prefix: str, path: str, family: str, unet: nn.Module | None = None) -> str:
    """`lora_<prefix>_<path with _>`; SDXL UNet paths go through `sgm_name` first."""
    if prefix == "unet" and family == "sdxl":
        config = unet.config
        with_attn = {i for i, t in enumerate(config.up_block_types) if "CrossAttn" in t}
        path = sgm_name(path, config.layers_per_block, with_attn)
    elif prefix.startswith("te") and not path.startswith("text_model."):
        path = "text_model." + path  # transformers ≥5 dropped CLIPTextModel's `text_model.` level; kohya keeps it
    return f"lora_{prefix}_" + path.replace(".", "_")
