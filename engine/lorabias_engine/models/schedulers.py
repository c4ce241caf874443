"""Sampler names the protocol accepts, mapped to diffusers schedulers built from the model's config."""
from __future__ import annotations

from ..errors import bad_request

SCHEDULERS = ("ddim", "euler", "euler_a", "dpmpp_2m", "ddpm", "pndm")


def make_scheduler(name: str, config: dict):
    from diffusers import (DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                           EulerDiscreteScheduler, PNDMScheduler)

    classes = {
        "ddim": DDIMScheduler, "euler": EulerDiscreteScheduler, "euler_a": EulerAncestralDiscreteScheduler,
        "dpmpp_2m": DPMSolverMultistepScheduler, "ddpm": DDPMScheduler, "pndm": PNDMScheduler,
    }
    if name not in classes:
        raise bad_request(f"unknown scheduler {name!r}; use one of {', '.join(SCHEDULERS)}")
    if config.get("rescale_betas_zero_snr") and name == "pndm":
        raise bad_request("the pndm sampler cannot sample a zero-terminal-SNR model (diffusers' PNDM has no zero-SNR "
                          "schedule); use ddim, euler, euler_a, dpmpp_2m or ddpm")
    return classes[name].from_config(config)


def training_scheduler(config: dict):
    from diffusers import DDPMScheduler

    return DDPMScheduler.from_config(config)
