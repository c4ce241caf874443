"""`python -m lorabias_engine`: serve JSON lines on stdin/stdout until shutdown or EOF."""
import logging
import os
import sys


def main() -> None:
    # The protocol owns the real stdout. Everything else that prints (libraries, C extensions, tqdm)
    # goes to stderr: point fd 1 at stderr and keep a private duplicate for protocol lines.
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    out = os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the engine never downloads
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

    from .app import build_server
    from .logs import setup_logging

    setup_logging()
    if os.environ.get("LORABIAS_THREADS"):
        import torch

        torch.set_num_threads(int(os.environ["LORABIAS_THREADS"]))
    stdin = open(sys.stdin.fileno(), "r", encoding="utf-8", errors="replace", closefd=False)
    stopped = build_server(out).serve(stdin)
    if not stopped:
        # orphaned with work still running (a step of a big model, a model load): nobody is left to answer, and
        # waiting would keep the GPU busy; cancelled outputs never have their final name
        logging.getLogger("lorabias_engine").warning("input closed while busy: exiting without waiting for the worker")
    # exit at once: the interpreter's own teardown (torch, CUDA, library threads) takes seconds, and an engine
    # whose editor or CLI is gone must not linger; every output was written and renamed already
    try:
        out.flush()
    except OSError:
        pass
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
