"""LyCORIS LoHa and LoKr (and full-difference `diff`) modules as the weight difference they add.

LoHa (Hadamard): ΔW = scale · (w1_a @ w1_b) ⊙ (w2_a @ w2_b), scale = alpha / rank(w1_b); with CP cores
(`hada_t1`, `hada_t2`, conv layers) each factor is Σ t[a, b, h, w] · w_a[a, o] · w_b[b, i].
LoKr (Kronecker): ΔW = scale · w1 ⊗ w2, each side stored whole (`lokr_w1`) or as a product (`lokr_w1_a` @
`lokr_w1_b`, `lokr_w2` likewise, optionally with a CP core `lokr_t2`); scale = alpha / rank of the factored side
(w2's when both are), 1 when neither is factored. For a conv layer w1 is repeated over the kernel (w1 ⊗ w2 of a
(a, b, 1, 1) and a (c, d, kh, kw) tensor).
"""
from __future__ import annotations

import torch

from .lowrank import Unfit


def _cp(core: torch.Tensor, w_a: torch.Tensor, w_b: torch.Tensor) -> torch.Tensor:
    """A CP/Tucker-factored weight: core (a, b, kh, kw), w_a (a, out), w_b (b, in) → (out, in, kh, kw)."""
    return torch.einsum("abhw,ao,bi->oihw", core.float(), w_a.float(), w_b.float())


def loha_delta(t: dict[str, torch.Tensor], shape: tuple[int, ...]) -> torch.Tensor:
    need = ("hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b")
    if any(k not in t for k in need):
        raise Unfit("LoHa module without all four hada_w tensors")
    w1a, w1b, w2a, w2b = (t[k].float() for k in need)
    rank = w1b.shape[0]
    scale = float(t["alpha"]) / rank if "alpha" in t else 1.0
    if "hada_t1" in t and "hada_t2" in t:
        left, right = _cp(t["hada_t1"], w1a, w1b), _cp(t["hada_t2"], w2a, w2b)
    else:
        left, right = w1a @ w1b, w2a @ w2b
    delta = left * right * scale
    if delta.numel() != _numel(shape):
        raise Unfit("shape does not fit the layer")
    return delta.reshape(shape)


def lokr_delta(t: dict[str, torch.Tensor], shape: tuple[int, ...]) -> torch.Tensor:
    rank = None
    if "lokr_w1" in t:
        w1 = t["lokr_w1"].float()
    elif "lokr_w1_a" in t and "lokr_w1_b" in t:
        w1, rank = t["lokr_w1_a"].float() @ t["lokr_w1_b"].float(), t["lokr_w1_b"].shape[0]
    else:
        raise Unfit("LoKr module without lokr_w1")
    if "lokr_w2" in t:
        w2 = t["lokr_w2"].float()
    elif "lokr_w2_a" in t and "lokr_w2_b" in t:
        rank = t["lokr_w2_b"].shape[0]
        w2 = _cp(t["lokr_t2"], t["lokr_w2_a"], t["lokr_w2_b"]) if "lokr_t2" in t else \
            t["lokr_w2_a"].float() @ t["lokr_w2_b"].float()
    else:
        raise Unfit("LoKr module without lokr_w2")
    scale = float(t["alpha"]) / rank if "alpha" in t and rank is not None else 1.0
    if w2.dim() == 4:
        w1 = w1[:, :, None, None]
    delta = torch.kron(w1, w2) * scale
    if delta.numel() != _numel(shape):
        raise Unfit("shape does not fit the layer")
    return delta.reshape(shape)


def full_delta(t: dict[str, torch.Tensor], shape: tuple[int, ...]) -> torch.Tensor:
    delta = t["diff"].float()
    if delta.numel() != _numel(shape):
        raise Unfit("shape does not fit the layer")
    return delta.reshape(shape)


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n
