"""LoRA adapters on a loaded model, through peft: add a trainable one, apply a file frozen with a multiplier,
read one back in kohya format, and take them all off again so the cached model stays clean."""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn as nn

from .errors import E_LORA_MISMATCH, EngineError
from .finite import check_lora_tensors
from .kohya_keys import diffusers_to_kohya, kohya_name, kohya_name_map, lora_target_paths
from .models.checkpoint_files import check_readable, safetensors_keys
from .models.loaded import LoadedModel

log = logging.getLogger(__name__)


def _lora_layers(module: nn.Module):
    from peft.tuners.lora import LoraLayer

    return [(name, m) for name, m in module.named_modules() if isinstance(m, LoraLayer)]


def _exact(paths) -> str:
    return "^(" + "|".join(re.escape(p) for p in paths) + ")$"


def _inject(model: nn.Module, adapter: str, paths: list[str], ranks: dict[str, int], alphas: dict[str, float]) -> None:
    from peft import LoraConfig, inject_adapter_in_model

    default_r = max(ranks.values())
    config = LoraConfig(r=default_r, lora_alpha=alphas[paths[0]], target_modules=_exact(paths),
                        rank_pattern={re.escape(p): r for p, r in ranks.items()},
                        alpha_pattern={re.escape(p): a for p, a in alphas.items()}, init_lora_weights=True)
    inject_adapter_in_model(config, model, adapter_name=adapter)


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
    for component in model.modules_for_lora().values():
        for _name, layer in _lora_layers(component):
            layer.set_scale(adapter, multiplier)


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


def read_lora_file(path: Path, model: LoadedModel) -> tuple[dict[str, torch.Tensor], dict]:
    """A LoRA file as kohya-keyed tensors (diffusers/peft format converted) plus its metadata."""
    from safetensors import safe_open

    check_readable(path, "LoRA file")
    if path.suffix.lower() != ".safetensors":
        raise EngineError("E_MODEL_FORMAT", f"{path.name}: LoRAs are read from .safetensors files only")
    safetensors_keys(path)
    with safe_open(str(path), framework="pt") as fh:
        state = {k: fh.get_tensor(k) for k in fh.keys()}
        metadata = fh.metadata() or {}
    check_lora_tensors(state, path.name)
    if not any(k.startswith("lora_") for k in state):
        state = diffusers_to_kohya(state, model.family, model.unet)
    return state, metadata


def apply_lora_file(model: LoadedModel, path: str | Path, adapter: str, multiplier: float) -> dict:
    """Load a kohya/diffusers LoRA file as a frozen peft adapter scaled by `multiplier`."""
    path = Path(path)
    state, metadata = read_lora_file(path, model)
    names = sorted({k.split(".", 1)[0] for k in state})
    layers = kohya_name_map(model.modules_for_lora(), model.family)
    unmatched = [n for n in names if n not in layers]
    if len(unmatched) == len(names):
        raise EngineError(E_LORA_MISMATCH, f"{path.name}: none of its {len(names)} LoRA modules fits this "
                          f"{model.family} model (e.g. {names[0] if names else 'no keys'}); is it a LoRA for another "
                          "base model (SD1.5 vs SDXL)?")
    if unmatched:
        log.warning("%s: %d of %d modules fit no layer of the model and are ignored (e.g. %s)", path.name,
                    len(unmatched), len(names), unmatched[0])
    by_component: dict[str, dict] = {}
    for name in names:
        if name not in layers:
            continue
        prefix, mpath, layer = layers[name]
        down, up = state.get(f"{name}.lora_down.weight"), state.get(f"{name}.lora_up.weight")
        if down is None or up is None:
            raise EngineError(E_LORA_MISMATCH, f"{path.name}: module {name} lacks lora_down or lora_up weights")
        rank = down.shape[0]
        expected_in = layer.in_features if isinstance(layer, nn.Linear) else layer.in_channels
        expected_out = layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels
        if down.shape[1] != expected_in or up.shape[0] != expected_out:
            raise EngineError(E_LORA_MISMATCH, f"{path.name}: {name} has shape {tuple(up.shape[:1])}×{tuple(down.shape[1:2])}"
                              f" but the model's layer is {expected_out}×{expected_in}; the LoRA is for another base model")
        alpha = float(state[f"{name}.alpha"]) if f"{name}.alpha" in state else float(rank)
        by_component.setdefault(prefix, {})[mpath] = (rank, alpha, down, up)
    components = model.modules_for_lora()
    for prefix, entries in by_component.items():
        component = components[prefix]
        _inject(component, adapter, list(entries), {p: e[0] for p, e in entries.items()},
                {p: e[1] for p, e in entries.items()})
        named = dict(component.named_modules())
        for mpath, (_r, _a, down, up) in entries.items():
            layer = named[mpath]
            a, b = layer.lora_A[adapter].weight, layer.lora_B[adapter].weight
            with torch.no_grad():
                a.copy_(down.reshape(a.shape).to(a.dtype))
                b.copy_(up.reshape(b.shape).to(b.dtype))
    set_multiplier(model, adapter, multiplier)
    return {"path": str(path), "modules": len(names) - len(unmatched), "unmatched": len(unmatched), "metadata": metadata}


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
