"""Every name a layer of the loaded model goes by in LoRA files, as the reference clients map them.

ComfyUI and A1111 accept, for the UNet, kohya names built from the diffusers path *or* from the SGM (original
LDM/SDXL) path — sd-scripts writes the SGM form for SDXL models it loads from single files and the diffusers form
when it trains from a diffusers folder — and dotted diffusers/peft paths (`unet.down_blocks.0….to_q`). Text
encoders are `lora_te_`/`lora_te1_`/`lora_te2_` + the transformers path with `text_model.` kept, or dotted under
`text_encoder.`/`text_encoder_2.`. A file's module names are matched against all of these.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn as nn

from ..kohya_keys import PEFT_INTERNALS, sgm_name

DOTTED_PREFIXES = {"unet": "unet", "te": "text_encoder", "te1": "text_encoder", "te2": "text_encoder_2"}
# prefixes some savers put in front of the component's own module path (peft's model wrapper)
WRAPPER_PREFIXES = ("base_model.model.",)


@dataclass(frozen=True)
class Target:
    component: str  # unet, te, te1, te2 (kohya's prefixes)
    path: str  # the module path inside that component, as named_modules() gives it
    layer: nn.Module  # the plain layer (seen through any peft wrapper)


def _plain(module: nn.Module) -> nn.Module:
    get_base = getattr(module, "get_base_layer", None)
    return get_base() if callable(get_base) else module


def _text_path(path: str) -> str:
    """transformers ≥5 dropped CLIPTextModel's `text_model.` level; LoRA files keep it."""
    return path if path.startswith("text_model.") else "text_model." + path


def named_layers(component: nn.Module):
    """(path, layer) for every module with weights, seen through peft wrappers (their internals skipped)."""
    for path, module in component.named_modules():
        if not path or any(part in PEFT_INTERNALS for part in path.split(".")):
            continue
        if getattr(module, "weight", None) is None and not hasattr(module, "get_base_layer"):
            continue
        yield path, _plain(module)


_TEXT_ATTN = {".self_attn.to_q": ".self_attn.q_proj", ".self_attn.to_k": ".self_attn.k_proj",
              ".self_attn.to_v": ".self_attn.v_proj", ".self_attn.to_out.0": ".self_attn.out_proj",
              ".self_attn.to_out": ".self_attn.out_proj"}


class LayerNames:
    """Name → Target for one loaded model; `resolve` also tries the dotted forms with wrappers stripped."""

    def __init__(self, components: dict[str, nn.Module]):
        self.names: dict[str, Target] = {}
        self.raw_text: dict[str, list[Target]] = {}  # unprefixed `text_model.…` paths: one per text encoder
        unet = components.get("unet")
        with_attn = {i for i, t in enumerate(unet.config.up_block_types) if "CrossAttn" in t} if unet is not None else set()
        for prefix, component in components.items():
            for path, layer in named_layers(component):
                target = Target(prefix, path, layer)
                if prefix == "unet":
                    forms = {path, sgm_name(path, unet.config.layers_per_block, with_attn)}
                    for form in forms:
                        self.names.setdefault(f"lora_unet_{form.replace('.', '_')}", target)
                    self.names[f"unet.{path}"] = target
                    self.names.setdefault(path, target)
                else:
                    tpath = _text_path(path)
                    self.names[f"lora_{prefix}_{tpath.replace('.', '_')}"] = target
                    self.names[f"{DOTTED_PREFIXES[prefix]}.{tpath}"] = target
                    self.raw_text.setdefault(tpath, []).append(target)

    def resolve(self, name: str, rows: int | None = None, cols: int | None = None) -> Target | None:
        """The layer a file's module name means. Unprefixed text-encoder paths of SDXL (two encoders) are told
        apart by the layer's shape (rows × cols of the delta)."""
        name = name.replace(".processor.", ".")
        for old, new in _TEXT_ATTN.items():  # diffusers' old text-encoder processors: to_q… for CLIP's q_proj…
            name = name.replace(old, new)
        candidates = [name]
        for wrapper in WRAPPER_PREFIXES:
            if name.startswith(wrapper):
                candidates.append(name[len(wrapper):])
            for comp in ("unet.", "text_encoder.", "text_encoder_2."):
                if name.startswith(comp + wrapper):
                    candidates.append(comp + name[len(comp + wrapper):])
        for cand in list(candidates):
            comp, _, rest = cand.partition(".")
            if comp in ("text_encoder", "text_encoder_2") and rest and not rest.startswith("text_model."):
                candidates.append(f"{comp}.text_model.{rest}")
        for cand in candidates:
            if cand in self.names:
                return self.names[cand]
            raw = self.raw_text.get(cand) or (self.raw_text.get(_text_path(cand)) if cand.startswith("encoder.") else None)
            if raw:
                fitting = [t for t in raw if rows is None or _fits(t.layer, rows, cols)]
                if len(fitting) == 1 or (fitting and len(raw) == 1):
                    return fitting[0]
        return None


def _fits(layer: nn.Module, rows: int, cols: int | None) -> bool:
    weight = getattr(layer, "weight", None)
    if weight is None:
        return False
    return weight.shape[0] == rows and (cols is None or weight[0].numel() == cols)
