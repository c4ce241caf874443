"""Server behaviour that is awkward to provoke in a real process: out-of-memory, crashes, queued cancels."""
from __future__ import annotations

import io
import json
import threading

import torch

from lorabias_engine.protocol import Writer
from lorabias_engine.server import Server


def make_server(handlers):
    out = io.StringIO()
    return Server(Writer(out), handlers=handlers, inline={}), out


def answers(out: io.StringIO) -> dict:
    return {m["id"]: m for m in map(json.loads, out.getvalue().splitlines()) if "result" in m or "error" in m}


def run(server, lines):
    """Feed lines, then let the worker finish (EOF would cancel what is queued, as when the extension goes away)."""
    server.worker.start()
    for line in lines:
        server.handle_line(json.dumps(line))
    server.jobs.put(None)
    server.worker.join(10)


def test_out_of_memory_answers_e_oom_with_advice_and_the_next_request_still_runs():
    def oom(params, ctx):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    server, out = make_server({"train": oom, "sample": lambda p, c: {"ok": True}})
    run(server, [{"id": "a", "method": "train"}, {"id": "b", "method": "sample"}])
    got = answers(out)
    assert got["a"]["error"]["code"] == "E_OOM" and "batch_size" in got["a"]["error"]["message"]
    assert got["b"]["result"] == {"ok": True}


def test_a_crashing_handler_answers_e_internal_and_the_process_keeps_serving():
    def crash(params, ctx):
        raise ZeroDivisionError("boom")

    server, out = make_server({"train": crash, "export": lambda p, c: {"fine": 1}})
    run(server, [{"id": "a", "method": "train"}, {"id": "b", "method": "export"}])
    got = answers(out)
    assert got["a"]["error"]["code"] == "E_INTERNAL" and "boom" in got["a"]["error"]["message"]
    assert got["b"]["result"] == {"fine": 1}


def test_a_queued_request_can_be_cancelled_before_it_starts():
    started, release = threading.Event(), threading.Event()

    def slow(params, ctx):
        started.set()
        release.wait(5)
        return {"done": True}

    server, out = make_server({"train": slow, "sample": lambda p, c: {"ran": True}})
    server.worker.start()
    server.handle_line(json.dumps({"id": "first", "method": "train"}))
    started.wait(5)
    server.handle_line(json.dumps({"id": "second", "method": "sample"}))
    server.handle_line(json.dumps({"id": "c", "method": "cancel", "params": {"target": "second"}}))
    server.handle_line(json.dumps({"id": "c2", "method": "cancel", "params": {"target": "nobody"}}))
    release.set()
    server.jobs.put(None)
    server.worker.join(5)
    got = answers(out)
    assert got["first"]["result"] == {"done": True}
    assert got["second"]["error"]["code"] == "E_CANCELLED"
    assert got["c"]["result"]["found"] is True and got["c2"]["result"]["found"] is False


def test_duplicate_ids_of_running_requests_are_refused():
    release = threading.Event()
    server, out = make_server({"train": lambda p, c: release.wait(5) and {}})
    server.worker.start()
    server.handle_line(json.dumps({"id": "x", "method": "train"}))
    server.handle_line(json.dumps({"id": "x", "method": "train"}))
    release.set()
    server.jobs.put(None)
    server.worker.join(5)
    errors = [json.loads(line) for line in out.getvalue().splitlines() if '"error"' in line]
    assert errors and errors[0]["error"]["code"] == "E_BAD_REQUEST" and "already in use" in errors[0]["error"]["message"]
