"""The dispatcher: each module of a LoRA file → the layer it changes and the low-rank factors of its difference,
or the reason it is skipped. Nothing is applied here, so the same plan serves checking a file and applying it."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .dora import dora_difference
from .keys import group_modules
from .layers import LayerNames, Target
from .lowrank import LowRank, Unfit, dense_factors, lora_factors, weight_shape
from .lycoris import full_delta, loha_delta, lokr_delta
from .metadata import adapter_configs

# formats lorabias does not apply; files made only of them are refused with what to do instead
UNSUPPORTED = {"oft": "LyCORIS OFT", "oft_rescale": "LyCORIS OFT", "boft": "LyCORIS BOFT", "glora": "LyCORIS GLoRA",
               "ia3": "(IA)³"}
DOTTED_COMPONENT = {"unet": "unet", "te": "text_encoder", "te1": "text_encoder", "te2": "text_encoder_2"}


@dataclass
class Planned:
    name: str
    target: Target
    kind: str  # LoRA, LoCon, Tucker LoCon, LoHa, LoKr, DoRA …, full difference
    factors: LowRank
    low_rank: bool  # the file's own factors (False: a dense difference computed from them)


@dataclass
class Plan:
    modules: int
    planned: list[Planned] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason → module names
    partial: dict[str, list[str]] = field(default_factory=dict)  # applied, but without these tensors → names
    naming: str = "kohya"

    def skip(self, reason: str, name: str) -> None:
        self.skipped.setdefault(reason, []).append(name)

    @property
    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.planned:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out


def _kind(roles: set[str], layer) -> str:
    conv = isinstance(layer, torch.nn.Conv2d) and tuple(layer.kernel_size) != (1, 1)
    if roles & {"hada_w1_a"}:
        kind = "LoHa"
    elif any(r.startswith("lokr_") for r in roles):
        kind = "LoKr"
    elif "diff" in roles:
        kind = "full difference"
    elif "mid" in roles:
        kind = "Tucker LoCon"
    else:
        kind = "LoCon" if conv else "LoRA"
    if roles & {"dora_scale", "magnitude"}:
        kind = f"DoRA ({kind})"
    return kind


def build_plan(state: dict[str, torch.Tensor], metadata: dict, components: dict) -> Plan:
    names = LayerNames(components)
    configs = adapter_configs(metadata)
    modules = {n: m for n, m in group_modules(state).items() if set(m.tensors) - {"alpha"}}
    plan = Plan(modules=len(modules))
    plan.naming = "kohya" if any(n.startswith("lora_") for n in modules) else "diffusers/peft"
    for name, module in sorted(modules.items()):
        t = module.tensors
        roles = set(t)
        unsupported = sorted({UNSUPPORTED[r] for r in roles if r in UNSUPPORTED})
        if unsupported:
            plan.skip(f"{unsupported[0]} module (not supported)", name)
            continue
        if roles <= {"w_norm", "b_norm", "diff_b", "alpha"}:
            plan.skip("norm or bias weights (w_norm/b_norm/diff_b)", name)
            continue
        if "wd_for_diff" in roles:
            plan.skip("DoRA of the difference (wd_for_diff)", name)
            continue
        if "up_bias" in roles or "reshape_weight" in roles:
            plan.skip("LoRA with a bias or reshape (lora_B.bias/reshape_weight)", name)
            continue
        if not roles & {"down", "up", "hada_w1_a", "lokr_w1", "lokr_w1_a", "lokr_w2", "lokr_w2_a", "diff"}:
            plan.skip("tensors no LoRA format writes", name)
            continue
        rows = next((v.shape[0] for k, v in t.items() if k in ("up", "diff")), None)
        target = names.resolve(name, rows)
        if target is None:
            plan.skip("no layer of this model has that name", name)
            continue
        try:
            plan.planned.append(_plan_module(name, t, target, configs))
        except Unfit as exc:
            plan.skip(exc.kind, name)
            continue
        dropped = sorted(roles & {"diff_b", "w_norm", "b_norm"})
        if dropped:
            plan.partial.setdefault(f"without their {'/'.join(dropped)} (bias or norm weights)", []).append(name)
    return plan


def _metadata_scale(configs, target: Target, rank: int) -> float | None:
    if not configs:
        return None
    config = configs.get(DOTTED_COMPONENT[target.component]) or configs.get("")
    return config.scale(target.path, rank) if config is not None else None


def _plan_module(name: str, t: dict, target: Target, configs) -> Planned:
    layer = target.layer
    shape = weight_shape(layer)
    roles = set(t)
    kind = _kind(roles, layer)
    if "hada_w1_a" in roles:
        delta = loha_delta(t, shape)
    elif any(r.startswith("lokr_") for r in roles):
        delta = lokr_delta(t, shape)
    elif "diff" in roles:
        delta = full_delta(t, shape)
    else:
        if "down" not in t or "up" not in t:
            raise Unfit("LoRA module without both down and up weights")
        scale = None if "alpha" in t else _metadata_scale(configs, target, t["down"].shape[0])
        factors = lora_factors(t, layer, scale)
        if not roles & {"dora_scale", "magnitude"}:
            return Planned(name, target, kind, factors, low_rank=True)
        delta = factors.dense()
    if "dora_scale" in roles:
        delta = dora_difference(layer.weight.detach(), delta, t["dora_scale"])
    elif "magnitude" in roles:
        delta = dora_difference(layer.weight.detach(), delta, t["magnitude"], per_output=True)
    return Planned(name, target, kind, dense_factors(delta, layer), low_rank=False)
