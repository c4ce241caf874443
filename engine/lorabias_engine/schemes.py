"""Training schemes of a target LoRA other than the plain one (docs/method.md has the measurements).

- ``over-copier`` (default, in train.py): the target learns its dataset A′ while the bias LoRAs (`over`) are applied
  frozen — the copier locks the model onto A, so the target learns what A′ adds.
- ``bipolar``: the same, alternating with the opposite: on odd steps the target at multiplier −1 learns A
  over the biases of `negative_over` (a copier of A′), so weight −1 is trained as much as +1.
- ``pair-difference`` (the idea of sd-webui-traintrain's ADDifT mode): no copier. Each step draws a pair (A, A′),
  one noise and one timestep for both; the base model's frozen prediction on the noised A is turned into the
  prediction that denoises to the base's own estimate of A shifted by exactly A′ − A, and the LoRA (at +1, on
  the noised A′) is trained to give it. Odd steps swap the roles (LoRA at −1 on the noised A, towards A′'s
  prediction shifted by A − A′). The LoRA learns the difference relative to what the base model already
  predicts, not a picture.

`trajectory_weight` and the other `trajectory_*` parameters (pair-difference only; engine parameters that
bench/engine/method_sweep.py sets, not recipe keys; docs/method.md section 7): add trajectory.py's loss, the
background difference of a few guided DDIM steps sampled with and without the LoRA from the same noise.

`outside_weight` (both pair schemes; default 1, the plain mean; an engine parameter that bench/engine/method_sweep.py
sets, not a recipe key: it did not help, docs/method.md section 6): the squared error is weighted by it outside
the region where the pair's pictures differ (|A′ − A| above a tenth of the pair's largest difference, grown by
one latent pixel) and by 1 inside, so w > 1 pulls the LoRA harder to change nothing where the pair does not.

For an epsilon-prediction model the shifted target is the base's noise prediction itself (traintrain's
target); for v-prediction it is v_base − σ_t·(A′ − A); for sample prediction x0_base + (A′ − A).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .lora import activate, set_multiplier

SCHEMES = ("over-copier", "bipolar", "pair-difference")


def draw_timesteps(window, n: int, gen: torch.Generator, total: int) -> torch.Tensor:
    lo, hi = window if window else (0, total)
    return torch.randint(int(lo), int(min(hi, total)), (n,), generator=gen)


def shifted_target(prediction_type: str, base_pred: torch.Tensor, delta: torch.Tensor, sigma: torch.Tensor):
    """The prediction whose denoised estimate is the base's estimate moved by `delta` (same noise, x_t + αδ)."""
    if prediction_type == "epsilon":
        return base_pred
    if prediction_type == "v_prediction":
        return base_pred - sigma * delta
    return base_pred + delta


def outside_weights(pos: torch.Tensor, neg: torch.Tensor, weight: float) -> torch.Tensor:
    """(N, 1, H, W) loss weights: 1 where a pair's latents differ (grown by one pixel), `weight` elsewhere."""
    diff = (pos.float() - neg.float()).abs().amax(1, keepdim=True)
    peak = diff.flatten(1).amax(1).clamp_min(1e-6).view(-1, 1, 1, 1)
    inside = F.max_pool2d((diff > 0.1 * peak).float(), 3, stride=1, padding=1)
    return inside + weight * (1 - inside)


class PairScheme:
    """One training step's loss for `bipolar` or `pair-difference`; train.py calls `loss(step, idx, gen)`."""

    def __init__(self, cfg, model, forward, noise_scheduler, latents_pos, latents_neg, text_pos, text_neg,
                 bias_pos: list[str], bias_neg: list[str], captions: list[str] | None = None):
        self.cfg, self.model, self.forward, self.ns = cfg, model, forward, noise_scheduler
        self.lat = {+1: latents_pos, -1: latents_neg}  # +1: A′ (the dataset), −1: A (the pairs' originals)
        self.text = {+1: text_pos, -1: text_neg}
        self.bias = {+1: bias_pos, -1: bias_neg}
        self.pred_type = noise_scheduler.config.prediction_type
        ac = noise_scheduler.alphas_cumprod.to(model.device)
        self.sigma = (1 - ac).sqrt()
        self.weights = None if cfg.outside_weight == 1.0 else outside_weights(latents_pos, latents_neg, cfg.outside_weight)
        self.trajectory = None
        if cfg.trajectory is not None:
            from .trajectory import Trajectory

            self.trajectory = Trajectory(cfg.trajectory, model, forward, "target", cfg.resolution, cfg.seed,
                                         captions or [])

    def _cond(self, sign: int, idx: torch.Tensor):
        text, pooled = self.text[sign]
        cond = None if pooled is None else {"text_embeds": pooled["text_embeds"][idx.to(self.model.device)]}
        return text[idx.to(text.device)], self.model.added_cond(cond, self.cfg.resolution, self.cfg.resolution, len(idx))

    def _target(self, latents, noise, t):
        if self.pred_type == "v_prediction":
            return self.ns.get_velocity(latents, noise, t)
        return {"epsilon": noise, "sample": latents}[self.pred_type]

    def loss(self, step: int, idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        sign = 1 if step % 2 == 1 else -1
        dst, src = self.lat[sign][idx], self.lat[-sign][idx]
        noise = torch.randn(dst.shape, generator=gen).to(dst.device, dst.dtype)
        t = draw_timesteps(self.cfg.timesteps, len(idx), gen, self.ns.config.num_train_timesteps).to(dst.device)
        text, added = self._cond(sign, idx)
        if self.cfg.scheme == "bipolar":  # the plain loss, over this sign's biases, at this sign's multiplier
            activate(self.model, [*self.bias[sign], "target"], trainable="target")
            set_multiplier(self.model, "target", float(sign))
            pred = self.forward(self.ns.add_noise(dst, noise, t), t, text, added_cond_kwargs=added).sample
            return self._mse(pred, self._target(dst, noise, t), idx)
        # pair-difference: the base's prediction on the noised source, shifted by the pair's difference
        src_text, src_added = self._cond(-sign, idx)
        set_multiplier(self.model, "target", 0.0)
        with torch.no_grad():
            base = self.forward(self.ns.add_noise(src, noise, t), t, src_text, added_cond_kwargs=src_added).sample
        sigma = self.sigma[t].view(-1, *([1] * (dst.ndim - 1)))
        want = shifted_target(self.pred_type, base, dst - src, sigma)
        set_multiplier(self.model, "target", float(sign))
        pred = self.forward(self.ns.add_noise(dst, noise, t), t, text, added_cond_kwargs=added).sample
        loss = self._mse(pred, want, idx)
        tr = self.trajectory
        # the sampler's path, LoRA on against off (trajectory.py), on both steps (both signs) of every n-th round
        if tr is not None and ((step + 1) // 2) % tr.tcfg.every == 0:
            loss = loss + tr.tcfg.weight * tr.loss(float(sign))
        return loss

    def _mse(self, pred: torch.Tensor, want: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        if self.weights is None:
            return F.mse_loss(pred.float(), want.float())
        return ((pred.float() - want.float()) ** 2 * self.weights[idx.to(self.weights.device)]).mean()

    def finish(self) -> None:
        set_multiplier(self.model, "target", 1.0)
