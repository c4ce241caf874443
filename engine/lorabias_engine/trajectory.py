"""The trajectory loss of the pair-difference scheme (an engine parameter, docs/method.md section 7).

A pair-difference LoRA is trained on noise predictions at random timesteps of noised training pictures; the
sampler never visits those states, and with classifier-free guidance it also asks the LoRA about the empty
prompt, which the pair loss never shows it. Section 6 found that what a size LoRA changes outside the shape is
a uniform background shade, set in the first sampling steps. This loss looks where the sampler walks:

1. draw a batch of starting noises (from its own generator, so the pair loss's draws stay those of plain
   pair-difference) and prompts from `prompts` (by default the pairs' own captions);
2. sample a few DDIM steps with guidance from that noise with the LoRA off (multiplier 0, no gradients);
3. sample from the same noise with the LoRA at the step's sign (+1 or −1), as the slider's partial denoising
   does (slider.py);
4. penalise the difference of the predicted clean images (latents) where both final pictures are background:
   farther than one pixel from any pixel that differs from the picture's border colour by more than
   `threshold` (latent units; 0.3 is the shapes analyser's 0.15 in 0..1 on tiny's [-1, 1] pixels) —
   `measure` ``pixels``: the mean squared difference there; ``shade``: |the mean difference there| per picture
   and channel (L1), the uniform shade shift alone.

Where gradients flow (`grad`):
- ``last``: through the last step's prediction only, on the final clean image (cheapest);
- ``all``: through every step (back-propagation through the whole path), on the final clean image;
- ``each``: each step's own prediction, its state detached, on that step's predicted clean image against the
  base path's at the same step (every step is told to keep the base's background estimate, the first ones
  included, without back-propagating through the path).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .lora import set_multiplier
from .models.schedulers import make_scheduler
from .train_config import TrajectoryConfig


def background_mask(*pictures: torch.Tensor, threshold: float = 0.3) -> torch.Tensor:
    """(N, 1, H, W): 1 where every picture is background (farther than 1 px from its foreground), else 0."""
    fg = []
    for x in pictures:
        x = x.detach().float()
        border = torch.cat([x[:, :, 0], x[:, :, -1], x[:, :, 1:-1, 0], x[:, :, 1:-1, -1]], dim=2)
        bg = border.median(dim=2).values[..., None, None]
        fg.append(F.max_pool2d(((x - bg).norm(dim=1, keepdim=True) > threshold).float(), 3, stride=1, padding=1))
    return 1 - torch.stack(fg).amax(0)


def masked_mse(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return ((a.float() - b.float()) ** 2 * mask).sum() / (mask.sum() * a.shape[1]).clamp_min(1.0)


def shade_shift(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over pictures and channels of |the masked mean of a − b|: the uniform background shift alone, L1."""
    per = ((a.float() - b.float()) * mask).flatten(2).sum(2) / mask.flatten(2).sum(2).clamp_min(1.0)
    return per.abs().mean()


class Trajectory:
    """`loss(sign)`: the masked difference of the two paths' clean images; `measure(sign, noise, idx)` the same
    without gradients on given noise and prompts (for tests and diagnostics)."""

    def __init__(self, tcfg: TrajectoryConfig, model, forward, adapter: str, resolution: int, seed: int,
                 captions: list[str]):
        self.tcfg, self.model, self.forward, self.adapter, self.res = tcfg, model, forward, adapter, resolution
        self.prompts = list(tcfg.prompts) or list(captions)
        self.sampler = make_scheduler("ddim", model.scheduler_config)
        self.sampler.set_timesteps(tcfg.steps, device=model.device)
        with torch.no_grad():
            text, pooled = model.encode_prompts(["", *self.prompts])
        self.text, self.pooled = text.detach(), None if pooled is None else pooled["text_embeds"].detach()
        self.gen = torch.Generator("cpu").manual_seed(int(seed) + 7_000_001)
        self.latent_shape = (model.latent_channels, *model.latent_size(resolution, resolution))
        self.losses: list[float] = []

    def _guided(self, x: torch.Tensor, t, idx: torch.Tensor) -> torch.Tensor:
        rows = torch.cat([torch.zeros_like(idx), idx + 1]).to(self.text.device)
        cond = None if self.pooled is None else {"text_embeds": self.pooled[rows]}
        added = self.model.added_cond(cond, self.res, self.res, len(rows))
        out = self.forward(torch.cat([x, x]), t, self.text[rows], added_cond_kwargs=added).sample.float()
        uncond, cond_out = out.chunk(2)
        return uncond + self.tcfg.cfg * (cond_out - uncond)

    def _path(self, x: torch.Tensor, idx: torch.Tensor, multiplier: float, grad: str | None) -> list[torch.Tensor]:
        """The predicted clean image at each DDIM step from x (the last one is the sample)."""
        set_multiplier(self.model, self.adapter, multiplier)
        outs, last = [], len(self.sampler.timesteps) - 1
        for k, t in enumerate(self.sampler.timesteps):
            on = grad == "all" or grad == "each" or (grad == "last" and k == last)
            if grad == "each":
                x = x.detach()
            with torch.set_grad_enabled(on):
                step = self.sampler.step(self._guided(x, t, idx).to(x.dtype), t, x)
            x = step.prev_sample if grad in ("all", "each") else step.prev_sample.detach()
            outs.append(step.pred_original_sample)
        return outs

    def _difference(self, sign: float, noise: torch.Tensor, idx: torch.Tensor, grad: str | None):
        with torch.no_grad():
            base = self._path(noise, idx, 0.0, None)
        lora = self._path(noise, idx, sign, grad)
        mask = background_mask(base[-1], lora[-1], threshold=self.tcfg.threshold)
        measure = shade_shift if self.tcfg.measure == "shade" else masked_mse
        if grad == "each":
            return torch.stack([measure(p, b, mask) for p, b in zip(lora, base)]).mean()
        return measure(lora[-1], base[-1], mask)

    def loss(self, sign: float) -> torch.Tensor:
        idx = torch.randint(0, len(self.prompts), (self.tcfg.batch,), generator=self.gen)
        noise = torch.randn((self.tcfg.batch, *self.latent_shape), generator=self.gen)
        noise = noise.to(self.model.device, self.model.dtype) * self.sampler.init_noise_sigma
        try:
            out = self._difference(sign, noise, idx, self.tcfg.grad)
        finally:
            set_multiplier(self.model, self.adapter, sign)
        self.losses.append(float(out.detach()))
        return out

    @torch.no_grad()
    def measure(self, sign: float, noise: torch.Tensor, idx: torch.Tensor) -> float:
        """The loss's measure (before λ) on the final pictures, LoRA at `sign` against off."""
        try:
            return float(self._difference(sign, noise.to(self.model.device, self.model.dtype), idx, None))
        finally:
            set_multiplier(self.model, self.adapter, 1.0)
