"""The long-lived engine process: a reader loop on stdin and one worker thread for long work.

The reader answers hello/cancel/shutdown itself, so a cancel is read while a train or sample runs on the
worker. Long requests (load, train, sample, export) run one at a time in arrival order.
"""
from __future__ import annotations

import logging
import queue
import threading
import traceback
from typing import IO, Callable

from . import errors
from .errors import E_CANCELLED, E_INTERNAL, E_OOM, E_UNKNOWN_METHOD, EngineError
from .protocol import METHODS, JobContext, Request, Writer, parse_request

log = logging.getLogger("lorabias_engine")

Handler = Callable[[dict, JobContext], dict]


def _is_oom(exc: BaseException) -> bool:
    try:
        import torch
        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except Exception:  # pragma: no cover - torch always present in practice
        pass
    return isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()


def run_handler(handler: Handler, request: Request, ctx: JobContext, writer: Writer) -> None:
    """Run one handler and answer with exactly one result or error line."""
    try:
        if ctx.cancelled:
            raise errors.Cancelled(request.method)
        result = handler(request.params, ctx)
        writer.result(request.id, result)
    except EngineError as err:
        if err.code != E_CANCELLED:
            log.info("%s %s failed: %s %s", request.method, request.id, err.code, err.message)
        writer.error(request.id, err)
    except BaseException as exc:  # noqa: BLE001 - the process must keep serving
        if _is_oom(exc):
            _free_memory()
            writer.error(request.id, EngineError(
                E_OOM,
                f"{request.method} ran out of memory ({str(exc).splitlines()[0][:200]}). Lower batch_size or "
                "resolution, turn on gradient_checkpointing, use mixed_precision fp16/bf16, or close other GPU programs."))
        else:
            log.error("%s %s crashed:\n%s", request.method, request.id, traceback.format_exc())
            writer.error(request.id, EngineError(E_INTERNAL, f"{request.method} failed: {type(exc).__name__}: {exc}"))
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise


def _free_memory() -> None:
    import gc
    gc.collect()
    try:
        import torch
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:
        pass


class Server:
    def __init__(self, writer: Writer, handlers: dict[str, Handler], inline: dict[str, Handler]):
        self.writer = writer
        self.handlers = handlers  # long work, on the worker thread
        self.inline = inline  # quick answers, on the reader thread
        self.jobs: "queue.Queue[tuple[Request, JobContext] | None]" = queue.Queue()
        self.contexts: dict[str, JobContext] = {}
        self.lock = threading.Lock()
        self.worker = threading.Thread(target=self._work, name="lorabias-worker", daemon=True)

    def _work(self) -> None:
        while True:
            item = self.jobs.get()
            if item is None:
                return
            request, ctx = item
            try:
                run_handler(self.handlers[request.method], request, ctx, self.writer)
            finally:
                with self.lock:
                    self.contexts.pop(request.id, None)

    def cancel(self, target: str) -> bool:
        with self.lock:
            ctx = self.contexts.get(target)
        if ctx is None:
            return False
        ctx.cancel_event.set()
        return True

    def handle_line(self, line: str) -> bool:
        """Handle one input line; returns False when the process should stop."""
        if not line.strip():
            return True
        try:
            request = parse_request(line)
        except EngineError as err:
            self.writer.error(getattr(err, "request_id", None), err)
            return True
        method = request.method
        if method == "shutdown":
            with self.lock:
                running = list(self.contexts.values())
            for ctx in running:
                ctx.cancel_event.set()
            self.writer.result(request.id, {"ok": True, "cancelled": [c.id for c in running]})
            return False
        if method == "cancel":
            target = request.params.get("target")
            if not isinstance(target, str):
                self.writer.error(request.id, errors.bad_request("cancel needs params.target: the id of the request to cancel"))
            else:
                self.writer.result(request.id, {"target": target, "found": self.cancel(target)})
            return True
        if method in self.inline:
            run_handler(self.inline[method], request, JobContext(request.id, self.writer), self.writer)
            return True
        if method in self.handlers:
            ctx = JobContext(request.id, self.writer)
            with self.lock:
                if request.id in self.contexts:
                    self.writer.error(request.id, errors.bad_request(f"request id {request.id!r} is already in use"))
                    return True
                self.contexts[request.id] = ctx
            self.jobs.put((request, ctx))
            return True
        self.writer.error(request.id, EngineError(
            E_UNKNOWN_METHOD, f"unknown method {method!r}; this engine knows {', '.join(METHODS)}"))
        return True

    #: After stdin closes (the editor or CLI that started the engine is gone, even killed), how long running
    #: work gets to stop at its next cancel check before the process exits anyway.
    EOF_GRACE_S = 0.8

    def serve(self, infile: IO[str]) -> bool:
        """Serve until shutdown or end of input; True when the worker stopped, False when it is still busy
        (then the caller exits the process without waiting for it)."""
        self.worker.start()
        orphaned = False
        try:
            while True:
                line = infile.readline()
                if not line:  # stdin closed: the extension went away
                    orphaned = True
                    with self.lock:
                        for ctx in self.contexts.values():
                            ctx.cancel_event.set()
                        # queued work never starts
                        while not self.jobs.empty():
                            try:
                                self.jobs.get_nowait()
                            except queue.Empty:
                                break
                    break
                if not self.handle_line(line):
                    break
        finally:
            self.jobs.put(None)
            self.worker.join(timeout=self.EOF_GRACE_S if orphaned else 10)
        return not self.worker.is_alive()
