"""Reading checkpoint files safely: safetensors headers, pickle refusal, family detection from keys."""
from __future__ import annotations

from pathlib import Path

import torch

from ..errors import E_MODEL_FORMAT, E_NOT_FOUND, E_PICKLE_REFUSED, EngineError

PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")


def check_readable(path: Path, what: str = "checkpoint") -> None:
    if not path.exists():
        raise EngineError(E_NOT_FOUND, f"{what} not found: {path} — check the path in the recipe")
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise EngineError(E_NOT_FOUND, f"cannot read {what} {path}: {exc.strerror}; check its permissions") from exc


def safetensors_keys(path: Path) -> list[str]:
    """The tensor names in a .safetensors file; E_MODEL_FORMAT when the file is corrupt or truncated."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            keys = list(fh.keys())
        size = path.stat().st_size
        _check_not_truncated(path, size)
    except EngineError:
        raise
    except Exception as exc:  # safetensors raises SafetensorError / OSError variants
        raise EngineError(E_MODEL_FORMAT, f"{path} is not a valid .safetensors file ({exc}); it may be truncated or "
                          "corrupt — download or export it again") from exc
    return keys


def _check_not_truncated(path: Path, size: int) -> None:
    import json
    import struct

    with open(path, "rb") as fh:
        header_len = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(header_len))
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if 8 + header_len + end > size:
        raise EngineError(E_MODEL_FORMAT, f"{path} is truncated: its header describes {8 + header_len + end} bytes but "
                          f"the file has {size}; download or export it again")


def load_state_dict(path: Path, allow_pickle: bool = False, what: str = "checkpoint") -> dict[str, torch.Tensor]:
    """All tensors of a single-file checkpoint on CPU. Pickle formats only when allowed, and then weights_only."""
    check_readable(path, what)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise EngineError(E_PICKLE_REFUSED, f"{path.name} is a pickle file ({suffix}), which can run code when "
                              "loaded, so it was not opened. Convert it to .safetensors, or allow pickle checkpoints "
                              "(setting lorabias.allowPickle / request allow_pickle); it is then loaded with weights_only.")
        try:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise EngineError(E_MODEL_FORMAT, f"{path} could not be read as a weights-only pickle ({exc}); "
                              "convert it to .safetensors") from exc
        while isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
            state = state["state_dict"]
        if not isinstance(state, dict):
            raise EngineError(E_MODEL_FORMAT, f"{path} holds no state dict")
        return {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if suffix != ".safetensors":
        raise EngineError(E_MODEL_FORMAT, f"{path.name}: unknown checkpoint format {suffix or '(no suffix)'}; use a "
                          ".safetensors file or a diffusers folder")
    safetensors_keys(path)  # header and size checks with a clear message
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except Exception as exc:
        raise EngineError(E_MODEL_FORMAT, f"{path} could not be read ({exc}); it may be corrupt") from exc


def detect_family(keys, path: Path) -> str:
    """sd15 / sdxl / tiny from a single-file checkpoint's key names."""
    keys = list(keys)
    has = lambda prefix: any(k.startswith(prefix) for k in keys)  # noqa: E731
    if has("conditioner.embedders.1.") or has("model.diffusion_model.label_emb."):
        return "sdxl"
    if has("cond_stage_model.model.transformer."):
        raise EngineError(E_MODEL_FORMAT, f"{path.name} looks like Stable Diffusion 2.x (OpenCLIP text encoder), which "
                          "lorabias does not support; use an SD1.5 or SDXL checkpoint")
    if has("model.diffusion_model.input_blocks.") and has("cond_stage_model.transformer."):
        return "sd15"
    if has("unet.") and has("text_encoder.") and has("unet.conv_in."):
        return "tiny"
    if has("model.diffusion_model."):
        raise EngineError(E_MODEL_FORMAT, f"{path.name} has a UNet but no text encoder lorabias recognises; pass "
                          "family: sd15 or sdxl if it is one of those")
    sample = ", ".join(keys[:3]) or "(no tensors)"
    raise EngineError(E_MODEL_FORMAT, f"{path.name} is not a Stable Diffusion checkpoint lorabias recognises (first keys: "
                      f"{sample}); if it is a LoRA, use it in `over:` or a preview instead of as a model")
