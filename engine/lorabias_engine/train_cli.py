"""Run one train request outside the JSON-lines server, e.g. on several GPUs:

    accelerate launch --multi_gpu --num_processes 2 -m lorabias_engine.train_cli request.json --result result.json
    (or: torchrun --nproc_per_node 2 -m lorabias_engine.train_cli request.json --result result.json)

`request.json` holds the same params as the protocol's `train` (with `checkpoint`, not `model_id`). Each process
trains on its own GPU with its own noise (seed + rank); gradients are averaged; rank 0 writes the LoRA and the
result. Progress goes to stderr. Text-encoder training is single-GPU only for now.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ap = argparse.ArgumentParser(prog="lorabias_engine.train_cli")
    ap.add_argument("request", help="JSON file with the train params")
    ap.add_argument("--result", help="where rank 0 writes the result JSON (default: stdout)")
    args = ap.parse_args(argv)

    from .distributed import from_environment
    from .errors import EngineError
    from .logs import setup_logging
    from .models.registry import Registry
    from .protocol import JobContext
    from .train import train

    setup_logging()
    with open(args.request, encoding="utf-8") as fh:
        params = json.load(fh)
    dist = from_environment()
    if dist.world > 1:
        params["device"] = str(dist.device)
    ctx = JobContext(f"cli-rank{dist.rank}")
    log = logging.getLogger("lorabias_engine.train_cli")
    log.info("rank %d of %d on %s", dist.rank, dist.world, params.get("device", "auto"))
    ctx.progress = lambda data, force=False: dist.is_main and (force or data["step"] % 10 == 0) and \
        log.info("step %s/%s loss %.4f %.2f it/s", data["step"], data["total"], data["loss"], data["its"])  # type: ignore
    try:
        result = train(params, ctx, Registry(), dist=dist)
    except EngineError as err:
        print(json.dumps({"error": err.to_json()}), file=sys.stderr)
        return 2
    finally:
        getattr(dist, "close", lambda: None)()
    if dist.is_main:
        text = json.dumps(result)
        if args.result:
            with open(args.result, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
