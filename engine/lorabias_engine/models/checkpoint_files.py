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
        _check_not_truncated(path, path.stat().st_size)  # first: it says how many bytes are missing
        with safe_open(str(path), framework="pt") as fh:
            keys = list(fh.keys())
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
        if header_len > 100_000_000:
            raise ValueError(f"header length {header_len} is not plausible")
        if 8 + header_len > size:
            raise EngineError(E_MODEL_FORMAT, f"{path} is truncated: it ends inside its header ({size} bytes of at least "
                              f"{8 + header_len}); download or export it again")
        header = json.loads(fh.read(header_len))
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if 8 + header_len + end > size:
        raise EngineError(E_MODEL_FORMAT, f"{path} is truncated: its header describes {8 + header_len + end} bytes but "
                          f"the file has {size} ({8 + header_len + end - size} missing); download or export it again")


def load_state_dict(path: Path, allow_pickle: bool = False, what: str = "checkpoint") -> dict[str, torch.Tensor]:
    """All tensors of a single-file checkpoint on CPU. Pickle formats only when allowed, and then weights_only."""
    check_readable(path, what)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise EngineError(E_PICKLE_REFUSED, f"{path.name} is a pickle file ({suffix}), which can run code when "
                              "loaded, so it was not opened. Convert it to .safetensors, or allow pickle checkpoints "
                              "with `allow_pickle: true` in the model cell; it is then loaded with weights_only.")
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


_ST_DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32, "F64": torch.float64,
              "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
              "BOOL": torch.bool}


class TensorSource:
    """The tensors of a single-file checkpoint, read a few at a time so loading never holds a second copy.

    A .safetensors file is read tensor by tensor with plain reads (no memory map: mapped pages would count
    towards the process's memory until the file is closed); floating tensors are converted to `dtype` as they
    are read, so the model is built directly in its final precision. Pickle checkpoints are already whole in
    memory; their tensors are handed over and dropped from the dict as they are taken."""

    def __init__(self, path: Path, dtype: torch.dtype, allow_pickle: bool = False, progress=None):
        import json
        import struct

        self.path, self.dtype, self.progress = path, dtype, progress
        self._state: dict | None = None
        self._header: dict = {}
        if path.suffix.lower() == ".safetensors":
            safetensors_keys(path)  # header and size checks with a clear message
            with open(path, "rb") as fh:
                n = struct.unpack("<Q", fh.read(8))[0]
                self._header = {k: v for k, v in json.loads(fh.read(n)).items() if k != "__metadata__"}
            self._base = 8 + n
            self._keys = list(self._header)
        else:
            self._state = load_state_dict(path, allow_pickle=allow_pickle)
            self._keys = list(self._state)
        self.read_bytes = 0

    def keys(self) -> list[str]:
        return list(self._keys)

    def nbytes(self, prefixes: tuple[str, ...]) -> int:
        if self._state is not None:
            return sum(v.numel() * v.element_size() for k, v in self._state.items() if k.startswith(prefixes))
        return sum(v["data_offsets"][1] - v["data_offsets"][0] for k, v in self._header.items() if k.startswith(prefixes))

    def take(self, prefixes: tuple[str, ...], what: str) -> dict[str, torch.Tensor]:
        """Every tensor whose name starts with one of `prefixes`, floats in the target dtype."""
        names = [k for k in self._keys if k.startswith(prefixes)]
        out: dict[str, torch.Tensor] = {}
        if self._state is not None:
            for k in names:
                t = self._state.pop(k)
                out[k] = t.to(self.dtype) if t.is_floating_point() else t
                self._tick(t.numel() * t.element_size(), what)
            return out
        with open(self.path, "rb") as fh:
            for k in names:
                info = self._header[k]
                start, end = info["data_offsets"]
                dtype = _ST_DTYPES.get(info["dtype"])
                if dtype is None:
                    raise EngineError(E_MODEL_FORMAT, f"{self.path.name}: tensor {k} has dtype {info['dtype']}, which "
                                      "lorabias cannot read; re-save the checkpoint in fp16, bf16 or fp32")
                t = torch.empty(info["shape"], dtype=dtype)
                buf = t.view(-1).view(torch.uint8).numpy() if t.numel() else None
                if buf is not None and buf.nbytes != end - start:
                    raise EngineError(E_MODEL_FORMAT, f"{self.path.name}: tensor {k} has {end - start} bytes for shape "
                                      f"{info['shape']} {info['dtype']}; the file is corrupt — download it again")
                fh.seek(self._base + start)
                if buf is not None and fh.readinto(buf) != end - start:
                    raise EngineError(E_MODEL_FORMAT, f"{self.path.name} ends inside tensor {k}; it is truncated — "
                                      "download it again")
                out[k] = t.to(self.dtype) if t.is_floating_point() else t
                self._tick(end - start, what)
        return out

    def _tick(self, n: int, what: str) -> None:
        self.read_bytes += n
        if self.progress is not None:
            self.progress(self.read_bytes, what)
