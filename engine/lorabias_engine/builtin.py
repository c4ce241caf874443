"""Built-in models. `builtin:tiny-shapes` is the embedded default.

Until the trained tiny-shapes weights ship in the repo, the model is the tiny family's config with seeded random
weights. When they land, put `tiny-shapes.safetensors` (UNet + text encoder state dicts with `unet.` and
`text_encoder.` prefixes) in `lorabias_engine/weights/` and `load_builtin` picks it up; nothing else changes.
"""
from __future__ import annotations

from pathlib import Path

import torch

from .errors import E_NOT_FOUND, EngineError

BUILTINS = ("tiny-shapes",)
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
RANDOM_SEED = 20240601


def load_builtin(name: str) -> dict:
    """Components for `builtin:<name>` on CPU in float32."""
    if name not in BUILTINS:
        raise EngineError(E_NOT_FOUND, f"unknown built-in model 'builtin:{name}'; available: "
                          + ", ".join(f"builtin:{b}" for b in BUILTINS))
    from .models.tiny import build_tiny_components

    components = build_tiny_components(seed=RANDOM_SEED)
    weights = WEIGHTS_DIR / f"{name}.safetensors"
    if weights.exists():
        from safetensors.torch import load_file

        state = load_file(str(weights))
        for part in ("unet", "text_encoder"):
            sub = {k[len(part) + 1:]: v for k, v in state.items() if k.startswith(part + ".")}
            if sub:
                components[part].load_state_dict(sub)
        components["trained"] = True
    else:
        components["trained"] = False
    return components


def builtin_is_trained(name: str = "tiny-shapes") -> bool:
    return (WEIGHTS_DIR / f"{name}.safetensors").exists()


def fingerprint(name: str) -> str:
    weights = WEIGHTS_DIR / f"{name}.safetensors"
    if weights.exists():
        st = weights.stat()
        return f"builtin:{name}:{st.st_mtime_ns}:{st.st_size}"
    return f"builtin:{name}:random:{RANDOM_SEED}:{torch.__version__}"
