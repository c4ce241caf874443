"""Sampler names the protocol accepts, mapped to diffusers schedulers built from the model's config."""
from __future__ import annotations

from ..errors import bad_request

SCHEDULERS = ("ddim", "euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "ddpm", "pndm")


def make_scheduler(name: str, config: dict):
    from diffusers import (DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                           EulerDiscreteScheduler, PNDMScheduler)

    classes = {
        "ddim": DDIMScheduler, "euler": EulerDiscreteScheduler, "euler_a": EulerAncestralDiscreteScheduler,
        "dpmpp_2m": DPMSolverMultistepScheduler, "ddpm": DDPMScheduler, "pndm": PNDMScheduler,
    }
    if name == "dpmpp_2m_karras":  # A1111's "DPM++ 2M Karras": DPM-Solver++ (2nd order) on Karras et al.'s sigmas
        return DPMSolverMultistepScheduler.from_config(config, algorithm_type="dpmsolver++", solver_order=2,
                                                       use_karras_sigmas=True)
    if name not in classes:
        raise bad_request(f"unknown scheduler {name!r}; use one of {', '.join(SCHEDULERS)}")
    return classes[name].from_config(config)


def training_scheduler(config: dict):
    from diffusers import DDPMScheduler

    return DDPMScheduler.from_config(config)
