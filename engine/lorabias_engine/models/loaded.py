"""A loaded model: its components plus the few family-specific operations training and sampling need."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from ..errors import bad_request

FAMILIES = ("tiny", "sd15", "sdxl")


@dataclass
class LoadedModel:
    model_id: str
    family: str
    source: str
    unet: Any
    vae: Any
    text_encoders: list
    tokenizers: list
    scheduler_config: dict
    device: torch.device
    dtype: torch.dtype
    pixel_space: bool = False  # tiny: the "latents" are the image itself in [-1, 1]
    info: dict = field(default_factory=dict)

    # ---- text -------------------------------------------------------------------------------------------
    def _tokens(self, tokenizer, prompts: list[str]) -> torch.Tensor:
        return tokenizer(prompts, padding="max_length", max_length=tokenizer.model_max_length,
                         truncation=True, return_tensors="pt").input_ids.to(self.device)

    def encode_prompts(self, prompts: list[str], clip_skip: int | None = None) -> tuple[torch.Tensor, dict | None]:
        """Text conditioning exactly as diffusers' SD/SDXL pipelines compute it. `clip_skip` has A1111's meaning
        (SD1.x): N takes the Nth-from-last layer's output through the final layer norm; 1 (or None) is the last
        layer, 2 the penultimate. SDXL already conditions on the penultimate layers, so it takes no clip_skip."""
        if self.family != "sdxl":
            ids = self._tokens(self.tokenizers[0], prompts)
            encoder = self.text_encoders[0]
            if not clip_skip or clip_skip == 1:
                return encoder(ids)[0], None
            out = encoder(ids, output_hidden_states=True)
            layers = len(out.hidden_states) - 1
            if clip_skip > layers:
                raise bad_request(f"clip_skip {clip_skip} is more than this text encoder's {layers} layers")
            norm = (encoder.text_model if hasattr(encoder, "text_model") else encoder).final_layer_norm
            return norm(out.hidden_states[-clip_skip]), None
        if clip_skip and clip_skip > 1:
            raise bad_request("SDXL already conditions on the penultimate layer of both text encoders (as sd-scripts "
                              "trains it); clip_skip is for SD1.5 models — remove it from the model cell")
        states, pooled = [], None
        for tokenizer, encoder in zip(self.tokenizers, self.text_encoders):
            out = encoder(self._tokens(tokenizer, prompts), output_hidden_states=True)
            pooled = out[0]  # the last encoder (with projection) gives the pooled embedding
            states.append(out.hidden_states[-2])
        return torch.cat(states, dim=-1), {"text_embeds": pooled}

    def added_cond(self, cond: dict | None, height: int, width: int, batch: int) -> dict | None:
        if cond is None:
            return None
        time_ids = torch.tensor([[height, width, 0, 0, height, width]], device=self.device, dtype=cond["text_embeds"].dtype)
        return {"text_embeds": cond["text_embeds"], "time_ids": time_ids.repeat(batch, 1)}

    # ---- images -----------------------------------------------------------------------------------------
    @property
    def scaling_factor(self) -> float:
        return 1.0 if self.pixel_space else float(self.vae.config.scaling_factor)

    @torch.no_grad()
    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """pixels in [-1, 1], (B, 3, H, W) → latents the UNet trains on."""
        if self.pixel_space:
            return pixels.to(self.device, self.dtype)
        vae_dtype = torch.float32 if self.family == "sdxl" else self.dtype  # SDXL's VAE overflows in fp16
        dist = self.vae.to(dtype=vae_dtype).encode(pixels.to(self.device, vae_dtype)).latent_dist
        return (dist.mean * self.scaling_factor).to(self.dtype)

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """latents → pixels in [0, 1], float32 on CPU."""
        if self.pixel_space:
            images = latents
        else:
            vae_dtype = torch.float32 if self.family == "sdxl" else self.dtype
            images = self.vae.to(dtype=vae_dtype).decode(latents.to(vae_dtype) / self.scaling_factor).sample
        return (images.float() / 2 + 0.5).clamp(0, 1).cpu()

    def latent_size(self, height: int, width: int) -> tuple[int, int]:
        factor = 1 if self.pixel_space else 2 ** (len(self.vae.config.block_out_channels) - 1)
        return height // factor, width // factor

    @property
    def latent_channels(self) -> int:
        return int(self.unet.config.in_channels)

    # ---- pipelines --------------------------------------------------------------------------------------
    def pipeline(self, scheduler=None):
        """A diffusers pipeline over these very components (no copies)."""
        from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
        from .schedulers import make_scheduler

        scheduler = scheduler or make_scheduler("ddim", self.scheduler_config)
        if self.family == "sdxl":
            return StableDiffusionXLPipeline(
                vae=self.vae, text_encoder=self.text_encoders[0], text_encoder_2=self.text_encoders[1],
                tokenizer=self.tokenizers[0], tokenizer_2=self.tokenizers[1], unet=self.unet, scheduler=scheduler)
        return StableDiffusionPipeline(
            vae=self.vae, text_encoder=self.text_encoders[0], tokenizer=self.tokenizers[0], unet=self.unet,
            scheduler=scheduler, safety_checker=None, feature_extractor=None, requires_safety_checker=False)

    def modules_for_lora(self) -> dict[str, Any]:
        """Prefix → module, in kohya's naming: unet, te (or te1/te2 for SDXL)."""
        if self.family == "sdxl":
            return {"unet": self.unet, "te1": self.text_encoders[0], "te2": self.text_encoders[1]}
        return {"unet": self.unet, "te": self.text_encoders[0]}

    def parameter_count(self) -> int:
        mods = [self.unet, *self.text_encoders] + ([] if self.pixel_space else [self.vae])
        return sum(p.numel() for m in mods for p in m.parameters())
