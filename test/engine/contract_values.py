"""The engine side of the contract's enum values and defaults: what each field accepts, and its value when the core
leaves it out (see test_contract.py)."""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from lorabias_engine.errors import EngineError
from lorabias_engine.export import DEFAULT_EXPORT_DTYPE, EXPORT_DTYPES, export
from lorabias_engine.models.loader import _check_family
from lorabias_engine.models.prediction import read_declared
from lorabias_engine.models.registry import DTYPES, resolve_device
from lorabias_engine.models.schedulers import SCHEDULERS, make_scheduler
from lorabias_engine.protocol import JobContext
from lorabias_engine.sample import generate, sample, sample_options
from lorabias_engine.train import train
from lorabias_engine.train_config import parse_train
from lorabias_engine.slider_config import parse_slider

from contract_probes import BASE_SLIDER, BASE_TRAIN, nest  # noqa: F401


def _train_accepts(field):
    def accept(value):
        cfg = parse_train({**BASE_TRAIN, **nest(field, value)}, 32)
        if field == "scheduler":  # and the schedule is built from it
            from diffusers.optimization import get_scheduler

            opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))])
            get_scheduler(cfg.scheduler, opt, num_warmup_steps=0, num_training_steps=2)
    return accept


def _sample_scheduler(value):
    make_scheduler(sample_options({"scheduler": value}, "tiny")["scheduler"], {"num_train_timesteps": 1000}).set_timesteps(4)


def _export_accepts(value):
    from lorabias_engine.params import choice

    choice({"dtype": value}, "dtype", tuple(EXPORT_DTYPES), DEFAULT_EXPORT_DTYPE)


def _load_dtype(value):
    if value not in DTYPES:
        raise EngineError("E_BAD_REQUEST", value)


ACCEPTS = {  # (method, field) → refuses (raises EngineError) a value the engine does not take
    ("load", "family"): _check_family,
    ("load", "dtype"): _load_dtype,
    ("load", "prediction_type"): lambda v: read_declared({"prediction_type": v}),
    ("train", "scheduler"): _train_accepts("scheduler"),
    ("train", "mixed_precision"): _train_accepts("mixed_precision"),
    ("train", "scheme"): lambda v: parse_train({**BASE_TRAIN, "scheme": v, "pair_images": ["b.png"]}, 32),
    ("train", "metadata.lorabias_lock"): None,  # any string is recorded as given
    ("sample", "scheduler"): _sample_scheduler,
    ("slider", "scheduler"): lambda v: parse_slider({**BASE_SLIDER, "scheduler": v}, 32),
    ("slider", "mixed_precision"): lambda v: parse_slider({**BASE_SLIDER, "mixed_precision": v}, 32),
    ("export", "dtype"): lambda v: _export_accepts(v),
}

DEFAULTS = {  # (method, field) → the engine's value when the core leaves the field out
    ("train", "rank"): lambda: parse_train(dict(BASE_TRAIN), 32).rank,
    ("train", "steps"): lambda: parse_train(dict(BASE_TRAIN), 32).steps,
    ("train", "lr"): lambda: parse_train(dict(BASE_TRAIN), 32).lr,
    ("train", "scheduler"): lambda: parse_train(dict(BASE_TRAIN), 32).scheduler,
    ("train", "warmup_steps"): lambda: parse_train(dict(BASE_TRAIN), 32).warmup_steps,
    ("train", "batch_size"): lambda: parse_train(dict(BASE_TRAIN), 32).batch_size,
    ("train", "seed"): lambda: parse_train(dict(BASE_TRAIN), 32).seed,
    ("train", "mixed_precision"): lambda: parse_train(dict(BASE_TRAIN), 32).mixed_precision,
    ("train", "gradient_checkpointing"): lambda: parse_train(dict(BASE_TRAIN), 32).gradient_checkpointing,
    ("train", "train_text_encoder"): lambda: parse_train(dict(BASE_TRAIN), 32).train_text_encoder,
    ("train", "conv_rank"): lambda: parse_train(dict(BASE_TRAIN), 32).conv_rank,
    ("train", "noise_offset"): lambda: parse_train(dict(BASE_TRAIN), 32).noise_offset,
    ("sample", "steps"): lambda: sample_options({}, "sd15")["steps"],
    ("sample", "scheduler"): lambda: sample_options({}, "sd15")["scheduler"],
    ("export", "dtype"): lambda: DEFAULT_EXPORT_DTYPE,
    ("slider", "rank"): lambda: parse_slider(dict(BASE_SLIDER), 32).rank,
    ("slider", "conv_rank"): lambda: parse_slider(dict(BASE_SLIDER), 32).conv_rank,
    ("slider", "steps"): lambda: parse_slider(dict(BASE_SLIDER), 32).steps,
    ("slider", "lr"): lambda: parse_slider(dict(BASE_SLIDER), 32).lr,
    ("slider", "scheduler"): lambda: parse_slider(dict(BASE_SLIDER), 32).scheduler,
    ("slider", "warmup_steps"): lambda: parse_slider(dict(BASE_SLIDER), 32).warmup_steps,
    ("slider", "seed"): lambda: parse_slider(dict(BASE_SLIDER), 32).seed,
    ("slider", "mixed_precision"): lambda: parse_slider(dict(BASE_SLIDER), 32).mixed_precision,
    ("slider", "gradient_checkpointing"): lambda: parse_slider(dict(BASE_SLIDER), 32).gradient_checkpointing,
}
