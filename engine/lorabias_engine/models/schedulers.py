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
        return _karras_class().from_config(config, algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=True)
    if name not in classes:
        raise bad_request(f"unknown scheduler {name!r}; use one of {', '.join(SCHEDULERS)}")
    if config.get("rescale_betas_zero_snr") and name == "pndm":
        raise bad_request("the pndm sampler cannot sample a zero-terminal-SNR model (diffusers' PNDM has no zero-SNR "
                          "schedule); use ddim, euler, euler_a, dpmpp_2m or ddpm")
    return classes[name].from_config(config)


def training_scheduler(config: dict):
    from diffusers import DDPMScheduler

    return DDPMScheduler.from_config(config)


def _karras_class():
    """DPMSolverMultistepScheduler that always starts text-to-image sampling at the first sigma. On schedules with
    a very large top sigma (the tiny family's cosine schedule) Karras spacing rounds the first sigmas to the same
    timestep, and diffusers would then start at the second of them and step past the end."""
    from diffusers import DPMSolverMultistepScheduler

    class KarrasFromTheStart(DPMSolverMultistepScheduler):
        def _init_step_index(self, timestep):
            self._step_index = 0 if self.begin_index is None else self._begin_index

    return KarrasFromTheStart
