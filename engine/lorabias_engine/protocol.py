"""JSON-lines framing: parse requests, write events/results/errors, throttle progress.

One object per line on stdin (requests) and stdout (events). See PROTOCOL.md.
"""
from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Any

from .errors import E_BAD_REQUEST, Cancelled, EngineError

PROTOCOL_VERSION = 1
METHODS = ("hello", "load", "lora_info", "train", "slider", "sample", "export", "models", "unload", "cancel", "shutdown")


@dataclass
class Request:
    id: str
    method: str
    params: dict


def parse_request(line: str) -> Request:
    """Parse one line. Raises EngineError(E_BAD_REQUEST) with `.request_id` set when the id could be read."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        err = EngineError(E_BAD_REQUEST, f"malformed JSON on stdin ({exc.msg} at column {exc.colno}); send one JSON object per line")
        err.request_id = None
        raise err
    request_id = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(request_id, str):
        request_id = None
    def fail(message: str) -> EngineError:
        err = EngineError(E_BAD_REQUEST, message)
        err.request_id = request_id
        return err
    if not isinstance(obj, dict):
        raise fail("a request must be a JSON object with id, method and params")
    if request_id is None or not request_id:
        raise fail("a request needs a non-empty string 'id'")
    method = obj.get("method")
    if not isinstance(method, str):
        raise fail("a request needs a string 'method'")
    params = obj.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise fail("'params' must be a JSON object")
    return Request(request_id, method, params)


def _clean(value: Any) -> Any:
    """Make floats JSON-safe (NaN/inf become null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class Writer:
    """Thread-safe line writer for the protocol stream (the real stdout)."""

    def __init__(self, stream: IO[str]):
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, obj: dict) -> None:
        line = json.dumps(_clean(obj), separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def result(self, request_id: str, result: dict) -> None:
        self.send({"id": request_id, "result": result})

    def error(self, request_id: str | None, err: EngineError) -> None:
        self.send({"id": request_id, "error": err.to_json()})

    def event(self, request_id: str, event: str, data: dict) -> None:
        self.send({"id": request_id, "event": event, "data": data})


@dataclass
class JobContext:
    """What a long-running handler gets: its id, a cancel flag and a throttled progress sink."""

    id: str
    writer: Writer | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    min_interval_s: float = 0.25
    _last_progress: float = 0.0

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancelled(self, what: str = "request") -> None:
        if self.cancel_event.is_set():
            raise Cancelled(what)

    def progress(self, data: dict, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < self.min_interval_s:
            return
        self._last_progress = now
        if self.writer is not None:
            self.writer.event(self.id, "progress", data)

    def event(self, name: str, data: dict) -> None:
        if self.writer is not None:
            self.writer.event(self.id, name, data)
