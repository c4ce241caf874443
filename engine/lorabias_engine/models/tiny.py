"""The tiny family: SD1.5's module layout at toy size, in pixel space, built from carried configs."""
from __future__ import annotations

import torch

from .configs import read_config, tokenizer_dir
from .loaded import LoadedModel


def build_tiny_components(seed: int = 0) -> dict:
    """UNet, text encoder, tokenizer, VAE and scheduler config, with weights drawn from `seed`."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    tok_dir = tokenizer_dir("tiny")
    tokenizer = CLIPTokenizer(str(tok_dir / "vocab.json"), str(tok_dir / "merges.txt"), model_max_length=77)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = UNet2DConditionModel(**read_config("tiny", "unet"))
        text_encoder = CLIPTextModel(CLIPTextConfig(**read_config("tiny", "text_encoder")))
        vae = AutoencoderKL(**read_config("tiny", "vae"))
    return {"unet": unet, "text_encoder": text_encoder, "tokenizer": tokenizer, "vae": vae,
            "scheduler_config": read_config("tiny", "scheduler")}


def tiny_model(components: dict, model_id: str, source: str, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    for name in ("unet", "text_encoder", "vae"):
        components[name].to(device=device, dtype=dtype).eval().requires_grad_(False)
    return LoadedModel(model_id=model_id, family="tiny", source=source, unet=components["unet"], vae=components["vae"],
                       text_encoders=[components["text_encoder"]], tokenizers=[components["tokenizer"]],
                       scheduler_config=components["scheduler_config"], device=device, dtype=dtype, pixel_space=True)
