"""Wiring: the methods the protocol knows → their handlers, over one model registry."""
from __future__ import annotations

from typing import IO

from . import memory
from .devices import hello
from .models.registry import Registry, source_path
from .params import get
from .protocol import JobContext, Writer
from .server import Server

MB = 1024 * 1024


def load_progress(ctx: JobContext):
    """Bytes read while a checkpoint file loads, as progress events (in MB, with the component being read)."""
    def report(done: int, total: int, what: str) -> None:
        ctx.progress({"phase": "loading", "what": what, "step": round(done / MB), "total": max(1, round(total / MB)),
                      "unit": "MB"}, force=done >= total)
    return report


def models_status(registry: Registry) -> dict:
    """What `models` answers: every loaded model, the memory its weights hold, and the process's figures."""
    out = []
    for model in registry.models():
        out.append({"model_id": model.model_id, "source": model.source, "family": model.family,
                    "device": str(model.device), "dtype": str(model.dtype).replace("torch.", ""),
                    "params": model.parameter_count(), **memory.model_memory(model)})
    return {"models": out, "loads": registry.loads, "process": memory.process_memory()}


def unload(registry: Registry, params: dict) -> dict:
    """Unload by model_id, or every model whose checkpoint is not in `keep` (the checkpoints open recipes name)."""
    keep = get(params, "keep", list, None)
    model_id = get(params, "model_id", str, None)
    if (keep is None) == (model_id is None):
        from .errors import bad_request

        raise bad_request("unload needs model_id (one model) or keep (a list of checkpoints to keep; others go)")
    if model_id is not None:
        targets = [registry.by_id(model_id)]
    else:
        kept = {source_path(str(k)) for k in keep}
        targets = [m for m in registry.models() if source_path(m.source) not in kept]
    freed, ids = 0, []
    while targets:  # drop each reference as it goes, so release() can give the memory back
        model = targets.pop()
        freed += memory.model_memory(model)["bytes"]
        ids.append(model.model_id)
        registry.unload(model)
        del model
    memory.release()
    return {"unloaded": ids, "freed_bytes": freed, **models_status(registry)}


def build_server(out: IO[str]) -> Server:
    registry = Registry()

    def load(params: dict, ctx: JobContext) -> dict:
        import torch

        model, cached = registry.load(params, load_progress(ctx))
        clip_skip = params.get("clip_skip")
        if clip_skip is not None:  # checked at load, so a model cell fails at once rather than its first training
            with torch.no_grad():
                model.encode_prompts([""], clip_skip=get(params, "clip_skip", int))
        result = {"model_id": model.model_id, "family": model.family, "params": model.parameter_count(),
                  "device": str(model.device), "dtype": str(model.dtype).replace("torch.", ""), "cached": cached,
                  "bytes": memory.model_memory(model)["bytes"]}
        if "vae" in model.info:
            result["vae"] = model.info["vae"]
        result.update(model.info.get("prediction", {}))
        if "trained" in model.info:
            result["trained"] = model.info["trained"]
        return result

    def lora_info(params: dict, ctx: JobContext) -> dict:
        from .lora_files import inspect_lora_file
        from .params import get

        report = inspect_lora_file(registry.resolve(params), get(params, "path", str))
        report.pop("metadata", None)
        return report

    def train(params: dict, ctx: JobContext) -> dict:
        from .train import train as run

        registry.resolve(params, load_progress(ctx))
        return run(params, ctx, registry)

    def slider(params: dict, ctx: JobContext) -> dict:
        from .slider import train_slider

        return train_slider(params, ctx, registry)

    def sample(params: dict, ctx: JobContext) -> dict:
        from .sample import sample as run

        registry.resolve(params, load_progress(ctx))
        return run(params, ctx, registry)

    def export(params: dict, ctx: JobContext) -> dict:
        from .export import export as run

        return run(params, ctx, registry)

    def releasing(handler):
        """A long request gives back what it no longer needs when it ends (cached models stay)."""
        def run(params: dict, ctx: JobContext) -> dict:
            try:
                return handler(params, ctx)
            finally:
                memory.release()
        return run

    handlers = {"load": load, "lora_info": lora_info, "train": train, "slider": slider, "sample": sample, "export": export,
                "unload": lambda params, ctx: unload(registry, params)}
    return Server(Writer(out), handlers={name: releasing(h) for name, h in handlers.items()},
                  inline={"hello": lambda params, ctx: hello(), "models": lambda params, ctx: models_status(registry)})
