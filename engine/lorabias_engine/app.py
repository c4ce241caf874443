"""Wiring: the methods the protocol knows → their handlers, over one model registry."""
from __future__ import annotations

from typing import IO

from .devices import hello
from .params import get
from .models.registry import Registry
from .protocol import JobContext, Writer
from .server import Server


def build_server(out: IO[str]) -> Server:
    registry = Registry()

    def load(params: dict, ctx: JobContext) -> dict:
        import torch

        model, cached = registry.load(params)
        clip_skip = params.get("clip_skip")
        if clip_skip is not None:  # checked at load, so a model cell fails at once rather than its first training
            with torch.no_grad():
                model.encode_prompts([""], clip_skip=get(params, "clip_skip", int))
        result = {"model_id": model.model_id, "family": model.family, "params": model.parameter_count(),
                  "device": str(model.device), "dtype": str(model.dtype).replace("torch.", ""), "cached": cached}
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

        return run(params, ctx, registry)

    def sample(params: dict, ctx: JobContext) -> dict:
        from .sample import sample as run

        return run(params, ctx, registry)

    def export(params: dict, ctx: JobContext) -> dict:
        from .export import export as run

        return run(params, ctx, registry)

    return Server(Writer(out), handlers={"load": load, "lora_info": lora_info, "train": train, "sample": sample, "export": export},
                  inline={"hello": lambda params, ctx: hello()})
