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
from .loader import load_model

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


def source_fingerprint(checkpoint: str) -> str:
    if checkpoint.startswith("builtin:"):
        from ..builtin import fingerprint

        return fingerprint(checkpoint.split(":", 1)[1])
    path = Path(checkpoint).expanduser().resolve()
    if not path.exists():
        raise EngineError(E_NOT_FOUND, f"checkpoint not found: {checkpoint} — check the path in the recipe")
    st = path.stat()
    return f"{path}:{st.st_mtime_ns}:{st.st_size}"


class Registry:
    def __init__(self):
        self._by_key: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()

    def by_id(self, model_id: str) -> LoadedModel:
        for model in self._by_key.values():
            if model.model_id == model_id:
                return model
        raise EngineError(E_NOT_FOUND, f"no loaded model with model_id {model_id!r}; send load first (models are "
                          "forgotten when the engine restarts)")

    def load(self, params: dict) -> tuple[LoadedModel, bool]:
        checkpoint = get(params, "checkpoint", str)
        family = get(params, "family", str, None)
        device = resolve_device(get(params, "device", str, None))
        dtype_name = get(params, "dtype", str, "float16" if device.type == "cuda" else "float32")
        if dtype_name not in DTYPES:
            raise bad_request(f"unknown dtype {dtype_name!r}; use float32, float16 or bfloat16")
        dtype = DTYPES[dtype_name]
        from .prediction import apply_prediction, read_declared

        vae = get(params, "vae", str, None)
        key = f"{source_fingerprint(checkpoint)}|{family}|{device}|{dtype}|{read_declared(params)}"
        if vae:
            key += f"|vae={source_fingerprint(vae)}"
        with self._lock:
            if key in self._by_key:
                return self._by_key[key], True
            model_id = "m-" + hashlib.sha256(key.encode()).hexdigest()[:12]
            log.info("loading %s on %s (%s)", checkpoint, device, dtype)
            model = load_model(checkpoint, model_id, family, bool(params.get("allow_pickle", False)), device, dtype)
            if vae:
                from .vae_file import use_vae_file

                use_vae_file(model, vae, bool(params.get("allow_pickle", False)))
            model.scheduler_config, model.info["prediction"] = apply_prediction(model.scheduler_config, checkpoint, params)
            self._by_key[key] = model
            return model, False

    def resolve(self, params: dict) -> LoadedModel:
        """The model a train/sample request names: model_id, or checkpoint (+ load options)."""
        if params.get("model_id"):
            return self.by_id(get(params, "model_id", str))
        if params.get("checkpoint"):
            return self.load(params)[0]
        raise bad_request("name the model with model_id (from load) or checkpoint")
