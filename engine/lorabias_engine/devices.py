"""What `hello` reports: versions and the devices torch can use."""
from __future__ import annotations

import os


def _cpu_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def list_devices() -> list[dict]:
    import platform

    import torch

    devices = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            devices.append({"name": props.name, "kind": "cuda", "index": index, "memory_bytes": int(props.total_memory)})
    devices.append({"name": platform.processor() or platform.machine() or "cpu", "kind": "cpu", "index": 0,
                    "memory_bytes": _cpu_memory(), "threads": torch.get_num_threads()})
    return devices


def hello() -> dict:
    import diffusers
    import peft
    import safetensors
    import torch
    import transformers

    from . import __version__
    from .protocol import PROTOCOL_VERSION

    return {"engine_version": __version__, "protocol": PROTOCOL_VERSION, "torch": torch.__version__,
            "diffusers": diffusers.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
            "safetensors": safetensors.__version__, "cuda": torch.version.cuda, "devices": list_devices()}
