"""The bias constraint `until: {fidelity: x}`: how closely samples reproduce the dataset.

Score (documented in PROTOCOL.md): for each sample s (every prompt × seed), take the dataset image nearest to
it by mean squared error over RGB in [0, 1] at the training resolution, convert to PSNR = 10·log10(1/MSE), and map
PSNR linearly from 10 dB → 0 to 30 dB → 1, clipped to [0, 1]. The fidelity is the mean over samples. 0.9 means
samples sit, on average, at PSNR 28 dB from a dataset image (visually the same picture).
"""
from __future__ import annotations

import math

import torch

PSNR_LOW, PSNR_HIGH = 10.0, 30.0


def score_one(sample: torch.Tensor, references: torch.Tensor) -> float:
    """sample (3, H, W), references (N, 3, H, W), both in [0, 1]."""
    mse = ((references - sample.unsqueeze(0)) ** 2).flatten(1).mean(1).min().item()
    psnr = 10 * math.log10(1.0 / max(mse, 1e-10))
    return min(1.0, max(0.0, (psnr - PSNR_LOW) / (PSNR_HIGH - PSNR_LOW)))


def score(samples: list[torch.Tensor], references: torch.Tensor) -> float:
    return sum(score_one(s, references) for s in samples) / max(1, len(samples))


def measure(model, references: torch.Tensor, prompts: list[str], seeds: list[int], steps: int, cfg: float,
            ctx=None, clip_skip: int | None = None) -> float:
    """Sample every prompt × seed with the adapters now active and score them against `references` ([0, 1])."""
    from .memory import resident
    from .sample import generate

    height, width = references.shape[-2:]
    with resident(model):  # the VAE and text encoders come back from where training parked them
        samples = [generate(model, p, s, steps=steps, cfg=cfg, width=width, height=height, ctx=ctx, clip_skip=clip_skip)
                   for p in prompts for s in seeds]
    return score(samples, references)
