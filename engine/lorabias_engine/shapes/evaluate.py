"""Prompt following of a model on the shapes vocabulary, measured by the analyser.

`prompt_set(n, seed)` draws n prompts (size, colour, shape, background) and sampling seeds from a fixed seed;
`sample_batch` samples them through diffusers' pipeline over the model's own components (as `sample` does, with
the same per-seed initial noise, batched for speed); `prompt_following` reports, per attribute, the share of
samples whose analysed attribute is the one the prompt asked for.
"""
from __future__ import annotations

import numpy as np
import torch

from .analyse import analyse
from .generator import BACKGROUNDS, COLORS, SHAPES, SIZES

ATTRIBUTES = ("color", "size", "shape", "background")


def prompt_set(n: int, seed: int, **fixed) -> list[dict]:
    """n prompts with their sampling seeds; keyword arguments fix attributes (e.g. size="small")."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        want = {
            "size": fixed.get("size") or list(SIZES)[i % 2],
            "color": fixed.get("color") or str(rng.choice(list(fixed.get("colors") or COLORS))),
            "shape": fixed.get("shape") or str(rng.choice(SHAPES)),
            "background": fixed.get("background") or str(rng.choice(list(BACKGROUNDS))),
        }
        want["prompt"] = ", ".join([want["size"], want["color"], want["shape"], want["background"]])
        want["seed"] = int(rng.integers(0, 2**31 - 1))
        out.append(want)
    return out


@torch.no_grad()
def sample_batch(model, prompts: list[str], seeds: list[int], steps: int = 25, cfg: float = 3.0,
                 sampler: str = "ddim", batch: int = 16) -> torch.Tensor:
    """(N, 3, H, W) in [0, 1]; each picture's initial noise comes from its seed exactly as in `sample`."""
    from ..models.schedulers import make_scheduler
    from ..sample import initial_noise

    size = int(model.unet.config.sample_size)
    pipe = model.pipeline(make_scheduler(sampler, model.scheduler_config))
    pipe.set_progress_bar_config(disable=True)
    outs = []
    for i in range(0, len(prompts), batch):
        p, s = prompts[i:i + batch], seeds[i:i + batch]
        noise = torch.cat([initial_noise(model, seed, size, size) for seed in s])
        lat = pipe(prompt=p, num_inference_steps=steps, guidance_scale=cfg, height=size, width=size, latents=noise,
                   output_type="latent").images
        outs.append(model.decode_latents(lat))
    return torch.cat(outs)


def prompt_following(model, n: int = 40, seed: int = 0, steps: int = 25, cfg: float = 3.0,
                     sampler: str = "ddim") -> dict:
    wants = prompt_set(n, seed)
    images = sample_batch(model, [w["prompt"] for w in wants], [w["seed"] for w in wants], steps, cfg, sampler)
    found = [analyse(img) for img in images]
    acc = {a: float(np.mean([f[a] == w[a] for f, w in zip(found, wants)])) for a in ATTRIBUTES}
    by_size = {sz: {a: float(np.mean([f[a] == w[a] for f, w in zip(found, wants) if w["size"] == sz]))
                    for a in ATTRIBUTES} for sz in SIZES}
    return {"n": n, "accuracy": acc, "by_size": by_size, "images": images, "wants": wants, "found": found}
