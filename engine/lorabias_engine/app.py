"""Wiring: the methods the protocol knows → their handlers, over one model registry."""
from __future__ import annotations

from typing import IO

from .devices import hello
from .models.registry import Registry
from .protocol import JobContext, Writer
from .server import Server


def build_server(out: IO[str]) -> Server:
    registry = Registry()

    def load(params: dict, ctx: JobContext) -> dict:
        model, cached = registry.load(params)
        result = {"model_id": model.model_id, "family": model.family, "params": model.parameter_count(),
                  "device": str(model.device), "dtype": str(model.dtype).replace("torch.", ""), "cached": cached}
        if "trained" in model.info:
            result["trained"] = model.info["trained"]
        return result

    def train(params: dict, ctx: JobContext) -> dict:
        from .train import train as run

        return run(params, ctx, registry)

    def slider(params: dict, ctx: JobContext) -> dict:
        from .slider import train_slider

        return train_slider(params, ctx, registry)

    def sample(params: dict, ctx: JobContext) -> dict:
        from .sample import sample as run

        return run(params, ctx, registry)

    def export(params: dict, ctx: JobContext) -> dict:
        from .export import export as run

        return run(params, ctx, registry)

    return Server(Writer(out), handlers={"load": load, "train": train, "slider": slider, "sample": sample, "export": export},
                  inline={"hello": lambda params, ctx: hello()})
