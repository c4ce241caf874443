"""The slider request's parameters, checked once, with defaults.

A text slider is trained from prompts alone: for each target (class) prompt T the engine builds the positive
pole P(T), the negative pole M(T) and the neutral prompt N(T) — `{target}` in `positive`, `negative` and
`neutral` stands for T — and trains the LoRA so that at +1 it predicts N + η·(P − M) on T and at −1
N − η·(P − M), while anchor prompts keep the base model's prediction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import bad_request
from .params import get, positive_int
from .train_config import LoraTraining, parse_common

PLACEHOLDER = "{target}"


@dataclass
class Anchor:
    prompt: str
    strength: float = 1.0


@dataclass(kw_only=True)
class SliderConfig(LoraTraining):
    targets: list[str]
    positive: str
    negative: str = ""
    neutral: str = PLACEHOLDER
    guidance: float = 1.0
    anchors: list[Anchor] = field(default_factory=list)
    timesteps: tuple[int, int] = (0, 1000)
    denoise_steps: int = 25
    denoise_cfg: float = 3.0
    denoise_sign: str = "random"  # x_t drawn with the slider at a random sign for both terms, or "matched"
    guidance_negative: float = 1.0  # η of the −1 term (defaults to guidance)
    late_anchor: float = 0.0  # strength of the term keeping the target's prediction past the window (0: off)
    early_anchor: float = 0.0  # the same before the window (at sampler steps with t above its max)

    def prompts_for(self, target: str) -> dict[str, str]:
        """The prompts of one target: itself, its two poles and its neutral."""
        fill = lambda text: text.replace(PLACEHOLDER, target)  # noqa: E731
        return {"target": target, "positive": fill(self.positive), "negative": fill(self.negative),
                "neutral": fill(self.neutral)}


def parse_slider(params: dict, default_resolution: int) -> SliderConfig:
    targets = get(params, "targets", list)
    if not targets or not all(isinstance(t, str) for t in targets):
        raise bad_request("params.targets must be a non-empty list of prompts (the class prompt(s) the slider acts on)")
    positive = get(params, "positive", str)
    negative = get(params, "negative", str, "")
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
    cfg = SliderConfig(
        **parse_common(params, default_resolution, default_rank=4),  # a slider needs little rank (LECO's default)
        targets=list(targets), positive=positive, negative=negative, neutral=get(params, "neutral", str, PLACEHOLDER), guidance=get(params, "guidance", float, 1.0),
        anchors=anchors, timesteps=(window[0], window[1]), denoise_steps=positive_int(params, "denoise_steps", 25),
        denoise_cfg=get(params, "denoise_cfg", float, 3.0), denoise_sign=get(params, "denoise_sign", str, "random"))
    cfg.guidance_negative = get(params, "guidance_negative", float, cfg.guidance)
    for key in ("late_anchor", "early_anchor"):
        setattr(cfg, key, get(params, key, float, 0.0))
        if getattr(cfg, key) < 0:
            raise bad_request(f"params.{key} must be ≥ 0, got {getattr(cfg, key)}")
    if cfg.guidance <= 0 or cfg.guidance_negative <= 0:
        raise bad_request(f"params.guidance (η) must be > 0, got {cfg.guidance} (−1: {cfg.guidance_negative})")
    if cfg.denoise_sign not in ("random", "matched"):
        raise bad_request(f"params.denoise_sign must be 'random' or 'matched', got {cfg.denoise_sign!r}")
    return cfg
