"""Training speed of a copier LoRA: tiny model on CPU with and without latent/text caching, and on a CUDA GPU
(when there is one) an SDXL-sized UNet at 1024² (random weights, built from the carried config).

    .venv/bin/python bench/engine/train_speed.py [--steps N] [--sdxl] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from lorabias_engine.models.registry import Registry  # noqa: E402
from lorabias_engine.protocol import JobContext  # noqa: E402
from lorabias_engine.train import train  # noqa: E402


def copier_its(registry, model_id, image, out, steps, cache, conv, resolution) -> float:
    rates = []
    ctx = JobContext("bench")
    ctx.progress = lambda data, force=False: rates.append(data["its"])  # type: ignore[method-assign]
    res = train({"model_id": model_id, "images": [str(image)], "captions": ["a red disc"], "output": str(out),
                 "rank": 8, "steps": steps, "lr": 1e-3, "resolution": resolution, "cache": cache,
                 "train_conv": conv, "seed": 0}, ctx, registry)
    return res["steps_done"] / res["seconds"], rates[-1]


def sdxl_unet_its(steps: int) -> dict:
    """it/s and peak memory for LoRA training steps of an SDXL-sized UNet at 1024² (latents 128²), fp16 autocast."""
    from diffusers import UNet2DConditionModel

    from lorabias_engine.models.configs import read_config
    from lorabias_engine.kohya_keys import lora_target_paths
    from peft import LoraConfig, inject_adapter_in_model
    import re

    dev = torch.device("cuda")
    unet = UNet2DConditionModel(**read_config("sdxl", "unet")).to(dev, torch.float16).requires_grad_(False)
    paths = lora_target_paths(unet)
    inject_adapter_in_model(LoraConfig(r=16, lora_alpha=16, target_modules="^(" + "|".join(map(re.escape, paths)) + ")$"), unet)
    params = [p for n, p in unet.named_parameters() if "lora_" in n]
    for p in params:
        p.data = p.data.float()
        p.requires_grad_(True)
    unet.enable_gradient_checkpointing()
    unet.train()
    opt = torch.optim.AdamW(params, lr=1e-4)
    x = torch.randn(1, 4, 128, 128, device=dev, dtype=torch.float16)
    text = torch.randn(1, 77, 2048, device=dev, dtype=torch.float16)
    added = {"text_embeds": torch.randn(1, 1280, device=dev, dtype=torch.float16),
             "time_ids": torch.tensor([[1024, 1024, 0, 0, 1024, 1024]], device=dev, dtype=torch.float16)}
    torch.cuda.reset_peak_memory_stats()

    def step():
        with torch.autocast("cuda", dtype=torch.float16):
            pred = unet(x, torch.tensor([500], device=dev), text, added_cond_kwargs=added).sample
        pred.float().pow(2).mean().backward()
        opt.step()
        opt.zero_grad()

    for _ in range(2):
        step()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return {"its": steps / (time.perf_counter() - t), "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
            "gpu": torch.cuda.get_device_name(0), "lora_modules": len(paths)}


def vae_encode_seconds(size: int) -> float:
    """What caching saves per step for SD-family models: one SD VAE encode (random weights, carried config)."""
    from diffusers import AutoencoderKL

    from lorabias_engine.models.configs import read_config

    vae = AutoencoderKL(**read_config("sd15", "vae")).eval()
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        vae.encode(x)
        t = time.perf_counter()
        vae.encode(x)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--json")
    ap.add_argument("--vae-size", type=int, default=256, help="also time one SD VAE encode at this size (0: skip)")
    args = ap.parse_args()
    registry = Registry()
    model, _ = registry.load({"checkpoint": "builtin:tiny-shapes", "device": "cpu"})
    report = {"machine": f"{platform.machine()} {os.cpu_count()} cpu threads, torch {torch.__version__}",
              "torch_threads": torch.get_num_threads(), "tiny": {}}
    with tempfile.TemporaryDirectory() as tmp:
        img = Path(tmp) / "a.png"
        arr = np.zeros((args.resolution, args.resolution, 3), np.uint8)
        arr[:, :] = (30, 60, 200)
        arr[args.resolution // 4: args.resolution * 3 // 4, args.resolution // 4: args.resolution * 3 // 4] = (230, 40, 40)
        Image.fromarray(arr).save(img)
        for conv in (False, True):
            for cache in (True, False):
                name = f"{'locon' if conv else 'attention'}_{'cached' if cache else 'uncached'}"
                overall, last = copier_its(registry, model.model_id, img, Path(tmp) / f"{name}.safetensors",
                                           args.steps, cache, conv, args.resolution)
                report["tiny"][name] = round(overall, 2)
                print(f"tiny copier {name:22s} {overall:7.2f} it/s", flush=True)
    if args.vae_size:
        report[f"sd_vae_encode_{args.vae_size}_s"] = round(vae_encode_seconds(args.vae_size), 3)
        print(f"SD VAE encode {args.vae_size}² on CPU: {report[f'sd_vae_encode_{args.vae_size}_s']:.2f} s "
              "(saved every step by latent caching)", flush=True)
    if torch.cuda.is_available():
        report["sdxl_1024"] = sdxl_unet_its(max(5, args.steps // 4))
        print(f"SDXL-sized UNet 1024², LoRA r16, fp16 autocast, grad checkpointing: {report['sdxl_1024']['its']:.2f} it/s, "
              f"peak {report['sdxl_1024']['peak_memory_gib']:.1f} GiB on {report['sdxl_1024']['gpu']}")
    else:
        print("no CUDA device: SDXL 1024² benchmark skipped (run this script on a GPU machine)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
