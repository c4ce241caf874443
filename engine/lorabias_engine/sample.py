"""Sampling: model + LoRAs at weights (negative allowed) + prompts × seeds → PNG files. Same seed, same image."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import torch

from .errors import Cancelled, bad_request
from .images import atomic_write, save_png
from .lora import activate, loras_applied, set_multiplier
from .models.loaded import LoadedModel
from .models.schedulers import SCHEDULERS, make_scheduler
from .params import choice, get, positive_int
from .protocol import JobContext


def initial_noise(model: LoadedModel, seed: int, height: int, width: int) -> torch.Tensor:
    """Seeded on the CPU so a seed gives the same image on every device and batch layout."""
    h, w = model.latent_size(height, width)
    gen = torch.Generator("cpu").manual_seed(int(seed))
    return torch.randn((1, model.latent_channels, h, w), generator=gen).to(model.device, model.dtype)


def generate(model: LoadedModel, prompt: str, seed: int, *, negative_prompt: str = "", steps: int = 20,
             cfg: float = 7.0, scheduler: str = "ddim", width: int = 512, height: int = 512,
             ctx: JobContext | None = None, clip_skip: int | None = None) -> torch.Tensor:
    """One image (3, H, W) in [0, 1] through diffusers' pipeline with whatever adapters are active."""
    pipe = model.pipeline(make_scheduler(scheduler, model.scheduler_config))
    pipe.set_progress_bar_config(disable=True)

    def on_step(_pipe, _i, _t, kwargs):
        if ctx is not None and ctx.cancelled:
            raise Cancelled("sampling")
        return kwargs

    text: dict = {"prompt": prompt, "negative_prompt": negative_prompt or None}
    if clip_skip and clip_skip > 1:  # the very conditioning training used (model.encode_prompts), not the pipeline's
        with torch.no_grad():
            text = {"prompt_embeds": model.encode_prompts([prompt], clip_skip)[0],
                    "negative_prompt_embeds": model.encode_prompts([negative_prompt], clip_skip)[0]}
    was_training = model.unet.training
    model.unet.eval()
    try:
        latents = pipe(**text, num_inference_steps=steps,
                       guidance_scale=cfg, height=height, width=width, latents=initial_noise(model, seed, height, width),
                       output_type="latent", callback_on_step_end=on_step).images
    finally:
        model.unet.train(was_training)
    return model.decode_latents(latents)[0]


def _weights_label(w: float) -> str:
    return f"{w:+.2f}".replace("+", "p").replace("-", "m").replace(".", "_")


DEFAULT_STEPS = 25


def default_cfg(family: str) -> float:
    return 3.0 if family == "tiny" else 7.0  # tiny-shapes was tuned at cfg 3 (docs/tiny-shapes.md)


def sample_options(params: dict, family: str) -> dict:
    """How each image of a sample request is made: what `generate` takes besides the prompt and seed."""
    default_size = 32 if family == "tiny" else (1024 if family == "sdxl" else 512)
    clip_skip = get(params, "clip_skip", int, None)
    if clip_skip is not None and clip_skip < 1:
        raise bad_request(f"parameter 'clip_skip' must be >= 1, got {clip_skip}")
    return dict(negative_prompt=get(params, "negative_prompt", str, ""), steps=positive_int(params, "steps", DEFAULT_STEPS),
                cfg=get(params, "cfg", float, default_cfg(family)), scheduler=choice(params, "scheduler", SCHEDULERS, "ddim"),
                width=positive_int(params, "width", default_size), height=positive_int(params, "height", default_size),
                clip_skip=clip_skip)


def sample(params: dict, ctx: JobContext, registry) -> dict:
    model = registry.resolve(params)
    prompts = get(params, "prompts", list)
    seeds = get(params, "seeds", list, [1])
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise bad_request("sample needs params.prompts: a non-empty list of strings")
    if not all(isinstance(s, int) for s in seeds):
        raise bad_request("params.seeds must be a list of integers")
    loras = get(params, "loras", list, [])
    for spec in loras:
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise bad_request("each entry of params.loras must be {path, weight}")
    sweep = get(params, "weights", list, None)  # optional: sweep the first LoRA's weight over these values
    if sweep is not None and not loras:
        raise bad_request("params.weights sweeps the first LoRA's weight; give params.loras too")
    opts = sample_options(params, model.family)
    out_dir = Path(get(params, "output_dir", str))
    out_dir.mkdir(parents=True, exist_ok=True)
    key = _request_key(model, loras, prompts, seeds, sweep, opts)
    repeat = _REPEATS.get(key)
    if repeat is not None and all(Path(e["path"]).exists() for e in repeat):
        # The same model, LoRA files, prompts, seeds and settings give the same pixels: copy what this worker
        # already made instead of sampling again (a warm worker answers a repeated preview at once).
        images = []
        for e in repeat:
            dst = out_dir / Path(e["path"]).name
            if Path(e["path"]) != dst:
                atomic_write(dst, lambda tmp, src=e["path"]: shutil.copyfile(src, tmp))
            images.append({**e, "path": str(dst)})
        ctx.progress({"step": len(images), "total": len(images), "repeated": True}, force=True)
        return {"images": images, "repeated": True, **_shapes_figures(model, images)}
    images, total = [], len(prompts) * len(seeds) * (len(sweep) if sweep else 1)
    with loras_applied(model, loras, "s") as names:
        activate(model, names)
        for weight in (sweep or [None]):
            if weight is not None:
                set_multiplier(model, names[0], float(weight))
            for pi, prompt in enumerate(prompts):
                for seed in seeds:
                    ctx.check_cancelled("sampling")
                    image = generate(model, prompt, seed, ctx=ctx, **opts)
                    name = f"p{pi}_s{seed}" + (f"_w{_weights_label(weight)}" if weight is not None else "") + ".png"
                    path = save_png(image, out_dir / name)
                    entry = {"path": str(path), "prompt": prompt, "seed": seed}
                    if weight is not None:
                        entry["weight"] = weight
                    images.append(entry)
                    ctx.progress({"step": len(images), "total": total}, force=len(images) == total)
    _REPEATS[key] = [dict(e) for e in images]
    while len(_REPEATS) > 64:
        _REPEATS.pop(next(iter(_REPEATS)))
    return {"images": images, **_shapes_figures(model, images)}


def _shapes_figures(model: LoadedModel, images: list[dict]) -> dict:
    """On the tiny-shapes family, a weight sweep with 0 also gets the harness's figures per weight (size change,
    colour shift, background change, … — lorabias_engine/shapes/harness.py), for the preview's leakage table."""
    if model.family != "tiny" or not any(e.get("weight") == 0 for e in images):
        return {}
    from .shapes.harness import preview_leakage

    return {"shapes_leakage": preview_leakage(images)}


# Requests this worker has answered, by what determines their pixels (see _request_key).
_REPEATS: dict[str, list[dict]] = {}


def _request_key(model: LoadedModel, loras: list, prompts: list, seeds: list, sweep, opts: dict) -> str:
    files = []
    for spec in loras:
        st = os.stat(spec["path"])
        files.append([os.path.abspath(spec["path"]), st.st_size, st.st_mtime_ns, float(spec.get("weight", 1.0))])
    data = {"model": model.model_id, "dtype": str(model.dtype), "device": str(model.device), "loras": files,
            "prompts": prompts, "seeds": seeds, "sweep": sweep, "opts": opts}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
