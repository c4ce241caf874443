"""The slider request's parameters, checked once, with defaults.

A text slider is trained from prompts alone: for each target (class) prompt T the engine builds the positive
pole P(T), the negative pole M(T) and the neutral prompt N(T) — `{target}` in `positive`, `negative` and
`neutral` stands for T — and trains the LoRA so that at +1 it predicts N + η·(P − M) on T and at −1
N − η·(P − M), while anchor prompts keep the base model's prediction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import bad_request
from .params import choice, get, positive_int

PLACEHOLDER = "{target}"


@dataclass
class Anchor:
    prompt: str
    strength: float = 1.0


@dataclass
class SliderConfig:
    output: str
    targets: list[str]
    positive: str
    negative: str = ""
    neutral: str = PLACEHOLDER
    guidance: float = 1.0
    anchors: list[Anchor] = field(default_factory=list)
    timesteps: tuple[int, int] = (0, 1000)
    denoise_steps: int = 25
    denoise_cfg: float = 3.0
    rank: int = 4
    alpha: float = 4.0
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
    # what training_metadata reads from a train config; a slider has no images, captions or text-encoder LoRA
    train_text_encoder: bool = False
    noise_offset: float = 0.0
    min_snr_gamma: float | None = None
    cache: bool = True

    def prompts_for(self, target: str) -> dict[str, str]:
        """The prompts of one target: itself, its two poles and its neutral."""
        fill = lambda text: text.replace(PLACEHOLDER, target)  # noqa: E731
        return {"target": target, "positive": fill(self.positive), "negative": fill(self.negative),
                "neutral": fill(self.neutral)}


def _prompt(params: dict, name: str, default=None) -> str:
    value = get(params, name, str, default)
    return value


def parse_slider(params: dict, default_resolution: int) -> SliderConfig:
    output = get(params, "output", str)
    if not output.endswith(".safetensors"):
        raise bad_request(f"params.output must end in .safetensors, got {output!r}")
    targets = get(params, "targets", list)
    if not targets or not all(isinstance(t, str) for t in targets):
        raise bad_request("params.targets must be a non-empty list of prompts (the class prompt(s) the slider acts on)")
    positive = _prompt(params, "positive")
    negative = _prompt(params, "negative", "")
    if positive == negative:
        raise bad_request("params.positive and params.negative are the same prompt: the slider would have no direction")
    anchors = []
    for spec in get(params, "anchors", list, []):
        if isinstance(spec, str):
            spec = {"prompt": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("prompt"), str):
            raise bad_request("each entry of params.anchors must be a prompt or {prompt, strength}")
        strength = get(spec, "strength", float, 1.0)
        if strength < 0:
            raise bad_request(f"anchor strength must be ≥ 0, got {strength}")
        anchors.append(Anchor(spec["prompt"], strength))
    window = get(params, "timesteps", list, [0, 1000])
    if len(window) != 2 or not all(isinstance(t, int) and not isinstance(t, bool) for t in window) \
            or not 0 <= window[0] < window[1] <= 1000:
        raise bad_request(f"params.timesteps must be [min, max] with 0 ≤ min < max ≤ 1000, got {window!r}")
    over = get(params, "over", list, [])
    for spec in over:
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise bad_request("each entry of params.over must be {path, weight}")
    rank = positive_int(params, "rank", 4)
    # LoCon's 3×3 convolutions at their own rank (sd-scripts' conv_dim); the older `train_conv` means conv_rank = rank
    conv_rank = get(params, "conv_rank", int, rank if params.get("train_conv") else 0)
    if conv_rank < 0:
        raise bad_request(f"params.conv_rank must be ≥ 0, got {conv_rank}")
    cfg = SliderConfig(
        output=output, targets=list(targets), positive=positive, negative=negative,
        neutral=_prompt(params, "neutral", PLACEHOLDER), guidance=get(params, "guidance", float, 1.0), anchors=anchors,
        timesteps=(window[0], window[1]), denoise_steps=positive_int(params, "denoise_steps", 25),
        denoise_cfg=get(params, "denoise_cfg", float, 3.0), rank=rank, alpha=get(params, "alpha", float, float(rank)),
        steps=positive_int(params, "steps", 500), lr=get(params, "lr", float, 1e-4),
        scheduler=choice(params, "scheduler", ("constant", "cosine", "constant_with_warmup"), "constant"),
        warmup_steps=get(params, "warmup_steps", int, 0), seed=get(params, "seed", int, 0),
        resolution=positive_int(params, "resolution", default_resolution), batch_size=positive_int(params, "batch_size", 1),
        mixed_precision=choice(params, "mixed_precision", ("no", "fp16", "bf16"), "no"),
        gradient_checkpointing=bool(params.get("gradient_checkpointing", False)),
        conv_rank=conv_rank, conv_alpha=get(params, "conv_alpha", float, float(conv_rank)),
        clip_skip=get(params, "clip_skip", int, None), over=over,
        save_precision=choice(params, "save_precision", ("fp16", "bf16", "float"), "fp16"),
        metadata=get(params, "metadata", dict, {}))
    if cfg.guidance <= 0:
        raise bad_request(f"params.guidance (η) must be > 0, got {cfg.guidance}")
    if cfg.warmup_steps < 0 or cfg.warmup_steps > cfg.steps:
        raise bad_request("warmup_steps must be between 0 and steps")
    return cfg
