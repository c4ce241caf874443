"""The train request's parameters, checked once, with defaults."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import bad_request
from .params import choice, get, positive_int


@dataclass
class Until:
    fidelity: float
    every: int = 50
    seeds: list[int] = field(default_factory=lambda: [1, 2])
    prompts: list[str] | None = None
    steps: int = 20
    cfg: float = 5.0


TRAJECTORY_MODES = ("last", "all", "each")  # where the trajectory loss's gradients flow (trajectory.py)
TRAJECTORY_MEASURES = ("pixels", "shade")


@dataclass
class TrajectoryConfig:
    """The pair-difference scheme's trajectory loss (trajectory.py); weight 0 is off."""
    weight: float = 0.0
    steps: int = 4  # DDIM steps of each path
    grad: str = "last"
    every: int = 1  # the loss on both steps (signs +1 and −1) of every n-th pair of training steps
    cfg: float = 5.0  # guidance of both paths (the demo preview's)
    batch: int = 2
    threshold: float = 0.3
    prompts: list[str] = field(default_factory=list)  # empty: the pairs' captions
    measure: str = "pixels"  # or "shade"


@dataclass(kw_only=True)
class LoraTraining:
    """The keys every LoRA-training request shares (`train` and `slider`), defined once; the defaults are the
    train request's (the slider's parser passes its own rank)."""
    output: str
    rank: int = 16
    alpha: float = 16.0
    steps: int = 500
    lr: float = 1e-4
    scheduler: str = "constant"
    warmup_steps: int = 0
    seed: int = 0
    resolution: int = 512
    batch_size: int = 1
    mixed_precision: str = "no"
    gradient_checkpointing: bool = False
    conv_rank: int = 0
    conv_alpha: float = 0.0
    clip_skip: int | None = None
    over: list[dict] = field(default_factory=list)
    save_precision: str = "fp16"
    metadata: dict = field(default_factory=dict)
    # read by training_metadata for any LoRA; only the train request sets them (a slider has no images)
    train_text_encoder: bool = False
    noise_offset: float = 0.0
    min_snr_gamma: float | None = None
    cache: bool = True
    # a checkpoint of the run every N steps (0: none), and whether to resume from one of the same run
    checkpoint_every: int = 0
    resume: bool = False

    def run_hash(self) -> str:
        """What must match for a checkpoint to be resumed (everything but steps-to-go and bookkeeping)."""
        data = asdict(self)
        for key in ("resume", "checkpoint_every", "metadata", "output"):
            data.pop(key)
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def checkpoint_path(self) -> Path:
        out = Path(self.output)
        return out.with_name(out.stem + ".checkpoint.pt")


@dataclass(kw_only=True)
class TrainConfig(LoraTraining):
    images: list[str]
    captions: list[str] | None
    until: Until | None = None
    scheme: str = "over-copier"
    pair_images: list[str] | None = None
    pair_captions: list[str] | None = None
    negative_over: list[dict] = field(default_factory=list)
    timesteps: list[int] | None = None
    outside_weight: float = 1.0
    trajectory: TrajectoryConfig | None = None


def parse_common(params: dict, default_resolution: int, default_rank: int) -> dict:
    """The LoraTraining keys of a request, checked: {field: value}."""
    output = get(params, "output", str)
    if not output.endswith(".safetensors"):
        raise bad_request(f"params.output must end in .safetensors, got {output!r}")
    over = get(params, "over", list, [])
    for spec in over:
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise bad_request("each entry of params.over must be {path, weight}")
    rank = positive_int(params, "rank", default_rank)
    # conv_rank: LoCon's rank for the 3×3 convolutions (kohya conv_dim); the older `train_conv: true` means conv at `rank`
    conv_rank = get(params, "conv_rank", int, rank if params.get("train_conv") else 0)
    if conv_rank < 0:
        raise bad_request(f"parameter 'conv_rank' must be >= 0, got {conv_rank}")
    alpha = get(params, "alpha", float, float(rank))
    conv_alpha = get(params, "conv_alpha", float, float(conv_rank) if "conv_rank" in params else alpha)
    if conv_rank and conv_alpha <= 0:
        raise bad_request(f"parameter 'conv_alpha' must be > 0, got {conv_alpha}")
    clip_skip = get(params, "clip_skip", int, None)
    if clip_skip is not None and clip_skip < 1:
        raise bad_request(f"parameter 'clip_skip' must be >= 1, got {clip_skip}")
    common = dict(
        output=output, rank=rank, alpha=alpha, steps=positive_int(params, "steps", 500),
        lr=get(params, "lr", float, 1e-4), scheduler=choice(params, "scheduler", ("constant", "cosine", "constant_with_warmup"), "constant"),
        warmup_steps=get(params, "warmup_steps", int, 0), seed=get(params, "seed", int, 0),
        resolution=positive_int(params, "resolution", default_resolution), batch_size=positive_int(params, "batch_size", 1),
        mixed_precision=choice(params, "mixed_precision", ("no", "fp16", "bf16"), "no"),
        gradient_checkpointing=bool(params.get("gradient_checkpointing", False)), conv_rank=conv_rank,
        conv_alpha=conv_alpha if conv_rank else 0.0, clip_skip=clip_skip, over=over,
        save_precision=choice(params, "save_precision", ("fp16", "bf16", "float"), "fp16"),
        metadata=get(params, "metadata", dict, {}), checkpoint_every=get(params, "checkpoint_every", int, 0),
        resume=bool(params.get("resume", False)))
    if common["checkpoint_every"] < 0:
        raise bad_request(f"parameter 'checkpoint_every' must be >= 0, got {common['checkpoint_every']}")
    if common["warmup_steps"] < 0 or common["warmup_steps"] > common["steps"]:
        raise bad_request("warmup_steps must be between 0 and steps")
    return common


def parse_train(params: dict, default_resolution: int) -> TrainConfig:
    common = parse_common(params, default_resolution, default_rank=16)
    until = None
    if params.get("until") is not None:
        u = get(params, "until", dict)
        fid = get(u, "fidelity", float)
        if not 0 <= fid <= 1:
            raise bad_request(f"until.fidelity must be in [0, 1], got {fid}")
        until = Until(fidelity=fid, every=positive_int(u, "every", 50), seeds=get(u, "seeds", list, [1, 2]),
                      prompts=get(u, "prompts", list, None), steps=positive_int(u, "steps", 20), cfg=get(u, "cfg", float, 5.0))
    cfg = TrainConfig(
        **common, images=get(params, "images", list), captions=get(params, "captions", list, None),
        train_text_encoder=bool(params.get("train_text_encoder", False)),
        min_snr_gamma=get(params, "min_snr_gamma", float, None), noise_offset=get(params, "noise_offset", float, 0.0),
        until=until, cache=bool(params.get("cache", True)))
    _parse_scheme(params, cfg)
    return cfg


def _parse_scheme(params: dict, cfg: TrainConfig) -> None:
    """scheme, pair_images (A, aligned with images = A′), pair_captions, negative_over, timesteps [lo, hi),
    outside_weight, trajectory_*."""
    from .schemes import SCHEMES

    cfg.scheme = choice(params, "scheme", SCHEMES, "over-copier")
    cfg.pair_images = get(params, "pair_images", list, None)
    cfg.pair_captions = get(params, "pair_captions", list, None)
    cfg.negative_over = get(params, "negative_over", list, [])
    for spec in cfg.negative_over:
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise bad_request("each entry of params.negative_over must be {path, weight}")
    if cfg.scheme != "over-copier":
        if not cfg.pair_images or len(cfg.pair_images) != len(cfg.images):
            raise bad_request(f"scheme {cfg.scheme!r} needs params.pair_images: one original (A) per image of the "
                              f"dataset (A′), {len(cfg.images)} in all")
        if cfg.train_text_encoder:
            raise bad_request(f"scheme {cfg.scheme!r} trains the UNet only; drop train_text_encoder")
    ts = get(params, "timesteps", list, None)
    if ts is not None:
        if len(ts) != 2 or not all(isinstance(t, int) for t in ts) or not 0 <= ts[0] < ts[1] <= 1000:
            raise bad_request(f"params.timesteps must be [lo, hi] with 0 <= lo < hi <= 1000, got {ts}")
        cfg.timesteps = ts
    cfg.outside_weight = get(params, "outside_weight", float, 1.0)
    if not cfg.outside_weight > 0:
        raise bad_request(f"params.outside_weight must be above 0, got {cfg.outside_weight}")
    if cfg.outside_weight != 1.0 and cfg.scheme == "over-copier":
        raise bad_request("params.outside_weight weights the loss outside the region where a pair's pictures differ: "
                          "it needs scheme 'bipolar' or 'pair-difference' (and their pair_images)")
    cfg.trajectory = _parse_trajectory(params, cfg)


def _parse_trajectory(params: dict, cfg: TrainConfig) -> TrajectoryConfig | None:
    """trajectory_weight (0: off), trajectory_steps, trajectory_grad, trajectory_every, trajectory_cfg,
    trajectory_batch, trajectory_threshold, trajectory_prompts, trajectory_measure: the pair-difference scheme's trajectory loss
    (trajectory.py), engine parameters only."""
    weight = get(params, "trajectory_weight", float, 0.0)
    if weight < 0:
        raise bad_request(f"params.trajectory_weight must be >= 0, got {weight}")
    if not weight:
        return None
    if cfg.scheme != "pair-difference":
        raise bad_request("params.trajectory_weight is a loss of scheme 'pair-difference' (and its pair_images)")
    prompts = get(params, "trajectory_prompts", list, [])
    if not all(isinstance(p, str) for p in prompts):
        raise bad_request("params.trajectory_prompts must be a list of strings")
    return TrajectoryConfig(weight=weight, steps=positive_int(params, "trajectory_steps", 4),
                            grad=choice(params, "trajectory_grad", TRAJECTORY_MODES, "last"),
                            every=positive_int(params, "trajectory_every", 1),
                            cfg=get(params, "trajectory_cfg", float, 5.0),
                            batch=positive_int(params, "trajectory_batch", 2),
                            threshold=get(params, "trajectory_threshold", float, 0.3), prompts=prompts,
                            measure=choice(params, "trajectory_measure", TRAJECTORY_MEASURES, "pixels"))
