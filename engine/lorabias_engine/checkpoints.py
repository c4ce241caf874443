"""Training checkpoints: the trainable LoRA, optimizer, LR schedule, RNG and history, so a run resumes exactly."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from .images import atomic_write

log = logging.getLogger(__name__)


def save(path: Path, state: dict) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load(path: Path, run_hash: str) -> dict | None:
    """The checkpoint at `path` if it belongs to the same run (same data, LoRA shape, seed…), else None."""
    if not path.exists():
        return None
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # a crashed write never has the final name, but be tolerant of old files
        log.warning("ignoring unreadable checkpoint %s: %s", path, exc)
        return None
    if state.get("run_hash") != run_hash:
        log.warning("checkpoint %s is from a different run configuration; starting fresh", path)
        return None
    return state
