"""Models stay loaded between requests, keyed by source (path + mtime + size), family, device and dtype."""
from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

import torch

from ..errors import E_NOT_FOUND, EngineError, bad_request
from ..params import get
from .loaded import LoadedModel
from .loader import _check_family, load_model

log = logging.getLogger(__name__)
DTYPES = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
          "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


def resolve_device(name: str | None) -> torch.device:
    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError) as exc:
        raise bad_request(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise bad_request(f"device {name!r} asked for, but this torch has no CUDA device; use cpu or install the CUDA build of torch")
    if device.type not in ("cpu", "cuda"):
        raise bad_request(f"device {name!r} is not supported; use cpu or cuda")
    return device


def canonical_device(device: torch.device) -> torch.device:
    """`cuda` and `cuda:0` (the current device) are one device."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


def source_path(checkpoint: str) -> str:
    """The checkpoint as one name whatever form it was given in: `builtin:…` as is, a file or folder as its
    absolute path with `~`, `..` and symlinks resolved."""
    if checkpoint.startswith("builtin:"):
        return checkpoint
    return str(Path(checkpoint).expanduser().resolve())


def source_fingerprint(checkpoint: str) -> str:
    if checkpoint.startswith("builtin:"):
        from ..builtin import fingerprint

        return fingerprint(checkpoint.split(":", 1)[1])
    path = Path(source_path(checkpoint))
    if not path.exists():
        raise EngineError(E_NOT_FOUND, f"checkpoint not found: {checkpoint} — check the path in the recipe")
    st = path.stat()
    return f"{path}:{st.st_mtime_ns}:{st.st_size}"


class Registry:
    """One copy of each checkpoint per worker. A model is keyed by its file (resolved path, mtime, size), device
    and dtype; the family is not part of the key (a file has one family): a request that leaves the family to
    detection and one that names the detected family get the same model."""

    def __init__(self):
        self._by_key: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()  # guards _by_key
        self._load_lock = threading.Lock()  # one load at a time
        self.loads = 0  # models actually read from disk since the worker started

    def models(self) -> list[LoadedModel]:
        with self._lock:
            return list(self._by_key.values())

    def by_id(self, model_id: str) -> LoadedModel:
        for model in self.models():
            if model.model_id == model_id:
                return model
        raise EngineError(E_NOT_FOUND, f"no loaded model with model_id {model_id!r}; send load first (models are "
                          "forgotten when the engine restarts)")

    def key(self, params: dict) -> tuple[str, str | None, torch.device, torch.dtype]:
        """(key, family asked for, device, dtype) of a load request, normalised."""
        checkpoint = get(params, "checkpoint", str)
        family = get(params, "family", str, None)
        device = canonical_device(resolve_device(get(params, "device", str, None)))
        dtype_name = get(params, "dtype", str, "float16" if device.type == "cuda" else "float32")
        if dtype_name not in DTYPES:
            raise bad_request(f"unknown dtype {dtype_name!r}; use float32, float16 or bfloat16")
        dtype = DTYPES[dtype_name]
        from .prediction import read_declared

        vae = get(params, "vae", str, None)
        key = f"{source_fingerprint(checkpoint)}|{device}|{dtype}|{read_declared(params)}"
        if vae:
            key += f"|vae={source_fingerprint(vae)}"
        return key, family, device, dtype

    def load(self, params: dict, progress=None) -> tuple[LoadedModel, bool]:
        """The loaded model for these load parameters (True: it was already loaded). `progress(done, total,
        what)` reports bytes read while a file loads."""
        key, family, device, dtype = self.key(params)
        _check_family(family)  # an unknown family is refused even when the file is already loaded
        with self._load_lock:
            with self._lock:
                model = self._by_key.get(key)
            if model is not None:
                if family is not None and family != model.family:
                    raise bad_request(f"{Path(model.source).name} is loaded as family {model.family} (detected from the "
                                      f"file); family {family!r} does not apply to it — leave family out or set {model.family}")
                return model, True
            checkpoint = get(params, "checkpoint", str)
            model_id = "m-" + hashlib.sha256(key.encode()).hexdigest()[:12]
            log.info("loading %s on %s (%s)", source_path(checkpoint), device, dtype)
            model = load_model(source_path(checkpoint), model_id, family, bool(params.get("allow_pickle", False)),
                               device, dtype, progress=progress)
            vae = get(params, "vae", str, None)
            if vae:
                from .vae_file import use_vae_file

                use_vae_file(model, vae, bool(params.get("allow_pickle", False)))
            from .prediction import apply_prediction

            model.scheduler_config, model.info["prediction"] = apply_prediction(model.scheduler_config, checkpoint, params)
            model.info["key"] = key
            with self._lock:
                self._by_key[key] = model
                self.loads += 1
            return model, False

    def resolve(self, params: dict, progress=None) -> LoadedModel:
        """The model a train/sample request names: model_id, or checkpoint (+ load options)."""
        if params.get("model_id"):
            return self.by_id(get(params, "model_id", str))
        if params.get("checkpoint"):
            return self.load(params, progress)[0]
        raise bad_request("name the model with model_id (from load) or checkpoint")

    def unload(self, model: LoadedModel) -> None:
        with self._lock:
            self._by_key = {k: m for k, m in self._by_key.items() if m is not model}
