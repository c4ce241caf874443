"""Shared fixtures: the engine as a real process over pipes, an in-process registry, and synthetic images."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
# One thread: the test machine's 2 cores are shared, and oversubscribed OpenMP threads spin (10× slower).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("LORABIAS_THREADS", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class EngineProcess:
    """`python -m lorabias_engine` with a thread that reads its stdout lines into a queue."""

    def __init__(self, cwd: Path):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "lorabias_engine"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
        self.lines: "queue.Queue[dict]" = queue.Queue()
        self.raw: list[str] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.raw.append(line)
            self.lines.put(json.loads(line))

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def send_raw(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def send(self, request_id, method, **params) -> None:
        self.send_raw(json.dumps({"id": request_id, "method": method, "params": params}))

    def next(self, timeout: float = 60) -> dict:
        return self.lines.get(timeout=timeout)

    def wait_for(self, request_id, timeout: float = 120) -> tuple[dict, list[dict]]:
        """The final result/error line for `request_id`, and the events seen before it (for any id)."""
        events, deadline = [], time.monotonic() + timeout
        while True:
            msg = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if msg.get("id") == request_id and ("result" in msg or "error" in msg):
                return msg, events
            events.append(msg)

    def call(self, request_id, method, timeout: float = 120, **params) -> tuple[dict, list[dict]]:
        self.send(request_id, method, **params)
        return self.wait_for(request_id, timeout)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("bye", "shutdown")
                self.proc.wait(timeout=20)
            except Exception:
                self.proc.kill()


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """One engine process per test module (starting one costs seconds of imports); tests use their own ids."""
    proc = EngineProcess(tmp_path_factory.mktemp("engine-cwd"))
    yield proc
    proc.close()


@pytest.fixture(scope="session", autouse=True)
def _threads():
    import torch

    torch.set_num_threads(int(os.environ["LORABIAS_THREADS"]))


@pytest.fixture(scope="session")
def registry():
    from lorabias_engine.models.registry import Registry

    return Registry()


@pytest.fixture(scope="session")
def tiny(registry):
    return registry.load({"checkpoint": "builtin:tiny-shapes"})[0]


@pytest.fixture(scope="session")
def random_tiny(registry, tmp_path_factory):
    """The tiny architecture with fixed seeded random weights, loaded from a single file: method tests use it so
    their numbers do not move when the shipped tiny-shapes weights are retrained."""
    from safetensors.torch import save_file

    from lorabias_engine.builtin import RANDOM_SEED
    from lorabias_engine.models.tiny import build_tiny_components

    parts = build_tiny_components(seed=RANDOM_SEED)
    state = {f"{name}.{k}": v.contiguous() for name in ("unet", "text_encoder") for k, v in parts[name].state_dict().items()}
    path = tmp_path_factory.mktemp("random-tiny") / "tiny-random.safetensors"
    save_file(state, str(path))
    return registry.load({"checkpoint": str(path)})[0]


@pytest.fixture
def pair(tmp_path):
    """A/A′ for the pair schemes: a small blue circle on white and the same picture with the circle large, each in
    its own folder with the caption "blue, circle, white background"; returns the two image paths."""
    from PIL import Image

    from lorabias_engine.shapes.generator import ShapeSpec, render, with_size

    spec = ShapeSpec("circle", "blue", "small", "white background")
    paths = {}
    for name, s in (("a", spec), ("a2", with_size(spec, "large"))):
        (tmp_path / name).mkdir()
        Image.fromarray(render(s)).save(tmp_path / name / "p.png")
        (tmp_path / name / "p.txt").write_text("blue, circle, white background")
        paths[name] = str(tmp_path / name / "p.png")
    return paths


def shapes_image(edited: bool = False, size: int = 32) -> np.ndarray:
    """A: a red disc on blue. A′ (edited): the same with a yellow square in the top-right corner."""
    img = np.zeros((size, size, 3), np.uint8)
    img[:, :] = (30, 60, 200)
    yy, xx = np.mgrid[:size, :size]
    img[(yy - size // 2) ** 2 + (xx - size * 7 // 16) ** 2 < (size // 4) ** 2] = (230, 40, 40)
    if edited:
        img[EDIT_REGION(size)] = (250, 230, 30)
    return img


def EDIT_REGION(size: int = 32):
    return (slice(2, size * 3 // 8 + 2), slice(size * 5 // 8 - 2, size - 2))


@pytest.fixture(scope="session")
def images(tmp_path_factory):
    from PIL import Image

    folder = tmp_path_factory.mktemp("shapes")
    paths = {}
    for name, edited in (("a", False), ("a_edited", True)):
        path = folder / f"{name}.png"
        Image.fromarray(shapes_image(edited)).save(path)
        (folder / f"{name}.txt").write_text("a red disc")
        paths[name] = path
    return paths
