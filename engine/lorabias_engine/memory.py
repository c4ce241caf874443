"""Memory a user can plan for: what each loaded model holds and where, the process's own figures, giving memory
back after a request, and parking the VAE and text encoders off the training device while the UNet trains on
cached latents and text embeddings (as sd-scripts does with --cache_latents --cache_text_encoder_outputs)."""
from __future__ import annotations

import ctypes
import gc
import logging
from contextlib import contextmanager

import torch

log = logging.getLogger(__name__)
PARK_DEVICE = torch.device("cpu")


def _module_bytes(module) -> tuple[int, str]:
    total, devices = 0, set()
    for t in (*module.parameters(), *module.buffers()):
        total += t.numel() * t.element_size()
        devices.add(str(t.device))
    return total, ",".join(sorted(devices)) or "-"


def model_memory(model) -> dict:
    """Bytes of weights per component and the device each sits on."""
    parts = {"unet": model.unet, "vae": model.vae}
    for i, enc in enumerate(model.text_encoders):
        parts["text_encoder" + ("" if i == 0 else f"_{i + 1}")] = enc
    components = {}
    for name, module in parts.items():
        if module is None or (name == "vae" and model.pixel_space):
            continue
        size, device = _module_bytes(module)
        components[name] = {"bytes": size, "device": device}
    return {"bytes": sum(c["bytes"] for c in components.values()), "components": components}


def _proc_status() -> dict[str, int]:
    out = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def process_memory() -> dict:
    status = _proc_status()
    data = {"rss_bytes": status.get("VmRSS"), "peak_rss_bytes": status.get("VmHWM")}
    if torch.cuda.is_available():
        data["cuda_allocated_bytes"] = int(torch.cuda.memory_allocated())
        data["cuda_reserved_bytes"] = int(torch.cuda.memory_reserved())
        data["cuda_peak_allocated_bytes"] = int(torch.cuda.max_memory_allocated())
    return data


def release() -> None:
    """After a request: drop what it left unreferenced and give freed memory back to the system (glibc keeps
    freed blocks of big tensors in its arenas otherwise, and the process looks as big as its peak)."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _parkable(model, vae: bool, text: bool) -> list[str]:
    names = []
    if vae and not model.pixel_space:
        names.append("vae")
    if text:
        names += [f"text_encoders.{i}" for i in range(len(model.text_encoders))]
    return names


def _module(model, name: str):
    if name == "vae":
        return model.vae
    return model.text_encoders[int(name.split(".")[1])]


def park(model, vae: bool, text: bool, device: torch.device = PARK_DEVICE) -> list[str]:
    """Move the VAE (latents cached) and the text encoders (embeddings cached) off the training device. Returns
    what was moved (nothing when the model already trains on `device`)."""
    if model.device == device:
        return []
    names = _parkable(model, vae, text)
    for name in names:
        _module(model, name).to(device)
    model.info["parked"] = names
    if names and model.device.type == "cuda":
        torch.cuda.empty_cache()
    log.info("parked %s on %s while the UNet trains", ", ".join(names) or "nothing", device)
    return names


def unpark(model) -> None:
    """Bring parked components back to the model's device."""
    for name in model.info.pop("parked", []):
        _module(model, name).to(model.device)


@contextmanager
def resident(model):
    """Everything on the model's device for a while (a preview or fidelity check inside training), then parked
    again."""
    names = list(model.info.get("parked", []))
    for name in names:
        _module(model, name).to(model.device)
    model.info.pop("parked", None)
    try:
        yield
    finally:
        if names:
            for name in names:
                _module(model, name).to(PARK_DEVICE)
            model.info["parked"] = names
            if model.device.type == "cuda":
                torch.cuda.empty_cache()
