"""A LoRA file on a loaded model: read, plan, refuse what cannot be applied right, inject what can as a frozen peft
adapter at a multiplier, and report what was applied and what was skipped (the cells show that report)."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from ..errors import E_LORA_MISMATCH, E_MODEL_FORMAT, EngineError
from ..finite import check_lora_tensors
from ..kohya_keys import kohya_name
from ..models.checkpoint_files import check_readable, safetensors_keys
from ..peft_adapters import inject, lora_layers, set_multiplier
from .plan import UNSUPPORTED, Plan, build_plan

log = logging.getLogger(__name__)
SUPPORTED = "kohya LoRA/LoCon, diffusers and peft LoRA, LyCORIS LoHa, LoKr, DoRA and Tucker"



def _read(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    from safetensors import safe_open

    check_readable(path, "LoRA file")
    if path.suffix.lower() != ".safetensors":
        raise EngineError(E_MODEL_FORMAT, f"{path.name}: LoRAs are read from .safetensors files only; convert it "
                          "to .safetensors")
    safetensors_keys(path)
    with safe_open(str(path), framework="pt") as fh:
        state, metadata = {k: fh.get_tensor(k) for k in fh.keys()}, dict(fh.metadata() or {})
    check_lora_tensors(state, path.name)
    return state, metadata


def _plan(path: Path, model) -> tuple[Plan, dict]:
    state, metadata = _read(path)
    plan = build_plan(state, metadata, model.modules_for_lora())
    if not plan.planned:
        raise EngineError(E_LORA_MISMATCH, _refusal(path, plan, model.family))
    if plan.skipped or plan.partial:
        log.warning("%s: %s", path.name, skipped_text(plan))
    return plan, metadata


def _refusal(path: Path, plan: Plan, family: str) -> str:
    if not plan.modules:
        return f"{path.name} holds no LoRA modules lorabias recognises; it applies {SUPPORTED} files"
    formats = sorted({reason.split(" module")[0] for reason in plan.skipped if reason.endswith("(not supported)")})
    if formats and sum(len(v) for k, v in plan.skipped.items() if k.endswith("(not supported)")) == plan.modules:
        return (f"{path.name} is a {' + '.join(formats)} file, which lorabias does not apply (it applies {SUPPORTED}). "
                "Merge it into the checkpoint with ComfyUI or the A1111 SuperMerger extension and use that checkpoint "
                "as the model, or use a LoRA version of it")
    example = next(iter(plan.skipped.values()))[0]
    if set(plan.skipped) == {"tensors no LoRA format writes"}:
        return (f"{path.name} is not a LoRA file lorabias recognises (tensors such as {example}); it applies {SUPPORTED} "
                "files. If it is a checkpoint, use it as a model cell's `checkpoint:`")
    if set(plan.skipped) == {"no layer of this model has that name"}:
        return (f"{path.name}: none of its {plan.modules} LoRA modules fits this {family} model (e.g. {example}); "
                "is it a LoRA for another base model (SD1.5 vs SDXL)?")
    return f"{path.name}: none of its {plan.modules} modules can be applied to this {family} model: {skipped_text(plan)}"


def skipped_text(plan: Plan) -> str:
    total = sum(len(v) for v in plan.skipped.values())
    parts = [f"{len(names)} {reason} (e.g. {names[0]})" for reason, names in sorted(plan.skipped.items())]
    text = f"{total} of {plan.modules} modules skipped: " + "; ".join(parts) if total else ""
    for reason, names in sorted(plan.partial.items()):
        text += ("; " if text else "") + f"{len(names)} modules applied {reason} (e.g. {names[0]})"
    return text


def report(path: Path, plan: Plan, metadata: dict) -> dict:
    skipped = {reason: len(names) for reason, names in plan.skipped.items()}
    out = {"path": str(path), "format": f"{' + '.join(sorted(plan.kinds))} ({plan.naming} names)",
           "modules": len(plan.planned), "total": plan.modules, "unmatched": sum(skipped.values()),
           "kinds": plan.kinds, "skipped": skipped,
           "skipped_examples": {reason: names[:3] for reason, names in plan.skipped.items()},
           "partial": {reason: len(names) for reason, names in plan.partial.items()}, "metadata": metadata}
    if plan.skipped or plan.partial:
        out["warning"] = f"{path.name}: {skipped_text(plan)}"
    return out


def inspect_lora_file(model, path: str | Path) -> dict:
    """What applying the file would do on this model, without applying it (E_LORA_MISMATCH if nothing fits)."""
    path = Path(path)
    plan, metadata = _plan(path, model)
    return report(path, plan, metadata)


def apply_lora_file(model, path: str | Path, adapter: str, multiplier: float) -> dict:
    """The file as the frozen peft adapter `adapter`, scaled by `multiplier`; its report."""
    path = Path(path)
    plan, metadata = _plan(path, model)
    components = model.modules_for_lora()
    by_component: dict[str, dict] = {}
    for p in plan.planned:
        by_component.setdefault(p.target.component, {})[p.target.path] = p.factors
    for prefix, entries in by_component.items():
        component = components[prefix]
        inject(component, adapter, list(entries), {k: f.rank for k, f in entries.items()},
               {k: f.scale * f.rank for k, f in entries.items()})
        layers = dict(lora_layers(component))
        for mpath, factors in entries.items():
            layer = layers[mpath]
            a, b = layer.lora_A[adapter].weight, layer.lora_B[adapter].weight
            with torch.no_grad():
                a.copy_(factors.down.reshape(a.shape).to(a.device, a.dtype))
                b.copy_(factors.up.reshape(b.shape).to(b.device, b.dtype))
            a.requires_grad_(False)
            b.requires_grad_(False)
    set_multiplier(components.values(), adapter, multiplier)
    return report(path, plan, metadata)


def read_lora_file(path: Path, model) -> tuple[dict[str, torch.Tensor], dict]:
    """A LoRA file's plain LoRA modules as kohya-keyed tensors (lora_down, lora_up, alpha) for this model, plus its
    metadata: how a diffusers/peft file is written out in the format A1111, Forge and ComfyUI load."""
    path = Path(path)
    state, metadata = _read(path)
    plan = build_plan(state, metadata, model.modules_for_lora())
    dense = [p.name for p in plan.planned if not p.low_rank]
    if dense or not plan.planned or plan.skipped or plan.partial:
        raise EngineError(E_LORA_MISMATCH, f"{path.name}: only files of plain LoRA modules that all fit the model are "
                          f"converted to kohya keys ({skipped_text(plan) if plan.skipped else f'{len(dense)} modules are not plain LoRA'})")
    out = {}
    for p in plan.planned:
        name = kohya_name(p.target.component, p.target.path, model.family, model.unet)
        down = next(iter(_keys(state, p.name, DOWN_SUFFIXES)), None)
        up = next(iter(_keys(state, p.name, UP_SUFFIXES)), None)
        if down is None or up is None or f"{p.name}.lora_mid.weight" in state:
            down, up = p.factors.down, p.factors.up  # written by name processors or a Tucker core: the factors
        out[f"{name}.lora_down.weight"] = down
        out[f"{name}.lora_up.weight"] = up
        out[f"{name}.alpha"] = torch.tensor(float(p.factors.scale * p.factors.rank), dtype=down.dtype)
    return out, metadata


DOWN_SUFFIXES = ("lora_down.weight", "lora_A.weight", "lora_A.default.weight", "lora.down.weight",
                 "lora_linear_layer.down.weight")
UP_SUFFIXES = ("lora_up.weight", "lora_B.weight", "lora_B.default.weight", "lora.up.weight", "lora_linear_layer.up.weight")


def _keys(state: dict, module: str, suffixes: tuple[str, ...]) -> list[torch.Tensor]:
    return [state[f"{module}.{s}"] for s in suffixes if f"{module}.{s}" in state]
