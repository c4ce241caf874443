"""Non-finite numbers (NaN, ±inf) never pass silently: a LoRA file holding them is refused when it is read, and a
training run whose loss or weights stop being finite fails with what to do instead of writing a broken LoRA."""
from __future__ import annotations

import math

import torch

from .errors import E_NOT_FINITE, EngineError

#: Mixed-precision training (a GradScaler) may see an overflowing step and skip it; this many in a row is a
#: diverged run, not an overflow.
MAX_NONFINITE_STREAK = 3


def nonfinite_count(tensors: dict[str, torch.Tensor]) -> tuple[int, int, str | None]:
    """(non-finite values, all values, the first tensor holding one) over float tensors."""
    bad = total = 0
    first = None
    for key, t in tensors.items():
        if not torch.is_floating_point(t):
            continue
        n = int((~torch.isfinite(t)).sum())
        total += t.numel()
        if n:
            bad += n
            first = first or key
    return bad, total, first


def check_lora_tensors(tensors: dict[str, torch.Tensor], name: str) -> None:
    bad, total, first = nonfinite_count(tensors)
    if bad:
        raise EngineError(E_NOT_FINITE, f"{name} holds {bad} of {total} values that are not finite numbers (NaN or "
                          f"infinity, e.g. in {first}), so it was not used: applying it would turn every image into "
                          "noise. Train or download it again.")


class LossWatch:
    """Fails a run whose loss stops being finite (at once without a GradScaler, after a short streak with one)."""

    def __init__(self, scaled: bool, over: list[str]):
        self.limit = MAX_NONFINITE_STREAK if scaled else 1
        self.streak = 0
        self.over = over

    def step(self, step: int, loss: float) -> None:
        if math.isfinite(loss):
            self.streak = 0
            return
        self.streak += 1
        if self.streak >= self.limit:
            hint = ("a bias LoRA it trains over may be broken" if self.over else "the learning rate may be too high")
            raise EngineError(E_NOT_FINITE, f"training diverged: the loss is {loss} at step {step} (not a finite "
                              f"number), so nothing was written; {hint}. Lower `lr`, or use `mixed_precision: bf16` "
                              "or `no`, and run the cell again.")


def check_trained(tensors: dict[str, torch.Tensor]) -> None:
    bad, total, first = nonfinite_count(tensors)
    if bad:
        raise EngineError(E_NOT_FINITE, f"the trained LoRA has {bad} of {total} weights that are not finite numbers "
                          f"(e.g. {first}), so it was not written. Lower `lr`, or use `mixed_precision: bf16` or `no`, "
                          "and run the cell again.")
