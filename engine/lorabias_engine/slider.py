"""Training a text slider from prompts alone (Concept Sliders, LECO, iLECO, ai-toolkit's slider), over biases.

Reads top to bottom like train.py: load model → bias LoRAs applied frozen → prompts encoded once → trainable
slider LoRA → optimizer → the loop → save in kohya format with sd-scripts' metadata and our provenance.

One step of the loop, for a batch of target prompts T (each with its poles P, M and neutral N):

1. x_t: start from noise and denoise part of the way with the model as it is now (biases on, slider at +1 or
   −1, classifier-free guidance on T), stopping at a sampler step whose timestep t lies in the window — so the
   slider is trained on states it will meet while sampling (Concept Sliders' partial denoising). By default
   (`denoise_sign: random`) one x_t per step, drawn at a random sign, serves both signs' terms; with
   `denoise_sign: matched` each sign's term gets its own x_t drawn with the slider at that sign (as Concept
   Sliders denoise at the scale they train). An engine parameter only (docs/tiny-shapes.md: not better at both
   weights), as are `guidance_negative` (η of the −1 term; default η) and `late_anchor` (strength of a term
   that keeps the target prompt's base prediction at a sampler step past the window, on an x_t' denoised on
   from x_t with the slider at the same sign; default 0, off) and `early_anchor` (the same before the window,
   on the state the denoising passes on its way to x_t; docs/text-slider-steps.md: it stops the size change).
2. With the slider off (multiplier 0; the frozen biases stay on), the base predictions at (x_t, t):
   o_N, o_P, o_M on the three prompts and o_A on each anchor prompt.
3. The slider at +1 and at −1 (bipolar, as sd-scripts' LECO expands a slider into its four ± pairs) on T:
       target(+1) = o_N + η·(o_P − o_M),   target(−1) = o_N − η·(o_P − o_M)
   and on each anchor prompt the target is o_A (its prediction must not change), weighted by its strength.
4. loss = mean over the two signs of  MSE(slider(T), target(±1)) + Σ_a strength_a · MSE(slider(A_a), o_A).

Every "o" above is the model's own output in its own prediction type (v for builtin:tiny-shapes, ε for most
SD1.5/SDXL checkpoints). At a fixed (x_t, t) the conversion between ε, v and x₀ predictions is affine with
the same offset for every prompt, so the direction o_P − o_M and the targets are the same whichever type the
arithmetic is done in; only the per-timestep weight of the MSE differs (ε-MSE = α_t² · v-MSE).
"""
from __future__ import annotations

import contextlib
import json
import logging
import time
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from . import checkpoints
from .errors import Cancelled, bad_request
from .export import training_metadata, write_lora
from .finite import check_trained
from .images import file_sha256
from .lora import activate, add_trainable, apply_lora_file, extract_kohya, load_trainable_state, remove_adapters, set_multiplier
from .models.schedulers import make_scheduler
from .protocol import JobContext
from .slider_config import SliderConfig, parse_slider

log = logging.getLogger(__name__)
SAVE_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "float": torch.float32}
ADAPTER = "slider"


class Prompts:
    """Every prompt the slider uses, encoded once (through any bias text-encoder LoRA), and batched on demand."""

    def __init__(self, model, prompts: list[str], clip_skip: int | None = None):
        self.model = model
        unique = list(dict.fromkeys(prompts))
        with torch.no_grad():
            hidden, cond = model.encode_prompts(unique, clip_skip=clip_skip)
        self.index = {p: i for i, p in enumerate(unique)}
        self.hidden = hidden
        self.pooled = None if cond is None else cond["text_embeds"]

    def batch(self, prompts: list[str]) -> tuple[torch.Tensor, dict | None]:
        idx = torch.tensor([self.index[p] for p in prompts], device=self.hidden.device)
        return self.hidden[idx], None if self.pooled is None else {"text_embeds": self.pooled[idx]}


def train_slider(params: dict, ctx: JobContext, registry) -> dict:
    started = time.time()
    model = registry.resolve(params)
    default_res = {"tiny": 32, "sd15": 512, "sdxl": 1024}[model.family]
    cfg = parse_slider(params, default_res)
    Path(cfg.output).parent.mkdir(parents=True, exist_ok=True)
    device, unet = model.device, model.unet
    torch.manual_seed(cfg.seed)
    gen = torch.Generator("cpu").manual_seed(cfg.seed)  # every random draw of the loop comes from here
    sets = [cfg.prompts_for(t) for t in cfg.targets]
    anchor_prompts = [a.prompt for a in cfg.anchors]
    anchor_strength = torch.tensor([a.strength for a in cfg.anchors], device=device)

    adapters: list[str] = []
    try:
        # 1. Bias LoRAs ("over"): applied live, frozen, at their multipliers — the "base" the slider is measured
        #    against is the biased model, so the slider moves the concept inside the bias.
        for i, bias in enumerate(cfg.over):
            apply_lora_file(model, bias["path"], f"bias{i}", float(bias.get("weight", 1.0)))
            adapters.append(f"bias{i}")
        activate(model, adapters)

        # 2. Every prompt encoded once, plus the empty prompt for classifier-free guidance while denoising.
        prompts = Prompts(model, ["", *anchor_prompts, *(p for s in sets for p in s.values())], cfg.clip_skip)

        # 3. The slider LoRA: the only trainable weights.
        trainable = add_trainable(model, ADAPTER, cfg.rank, cfg.alpha, conv_rank=cfg.conv_rank, conv_alpha=cfg.conv_alpha)
        adapters.append(ADAPTER)
        activate(model, adapters, trainable=ADAPTER)

        # 4. Optimizer, learning-rate schedule, and the sampler that makes x_t.
        from diffusers.optimization import get_scheduler

        optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=1e-2)
        lr_schedule = get_scheduler(cfg.scheduler, optimizer, num_warmup_steps=cfg.warmup_steps,
                                    num_training_steps=cfg.steps)
        sampler = make_scheduler("ddim", model.scheduler_config)
        sampler.set_timesteps(cfg.denoise_steps, device=device)
        lo, hi = cfg.timesteps
        stops = [k for k, t in enumerate(sampler.timesteps.tolist()) if lo <= t <= hi]
        late_stops = [k for k, t in enumerate(sampler.timesteps.tolist()) if t < lo]  # for late_anchor
        early_stops = [k for k, t in enumerate(sampler.timesteps.tolist()) if t > hi]  # for early_anchor
        if not stops:
            raise bad_request(f"no sampler step of {cfg.denoise_steps} falls in the timesteps window [{lo}, {hi}]: "
                              "widen the window or raise denoise_steps")
        use_amp = device.type == "cuda" and cfg.mixed_precision != "no"
        amp_dtype = torch.bfloat16 if cfg.mixed_precision == "bf16" else torch.float16
        scaler = torch.amp.GradScaler("cuda") if use_amp and amp_dtype == torch.float16 else None
        autocast = (lambda: torch.autocast("cuda", dtype=amp_dtype)) if use_amp else contextlib.nullcontext
        if cfg.gradient_checkpointing:
            unet.enable_gradient_checkpointing()
        unet.eval()  # no dropout: the slider's predictions and the base's are taken the same way
        h, w = model.latent_size(cfg.resolution, cfg.resolution)
        B = cfg.batch_size

        def predict(x: torch.Tensor, t: torch.Tensor, rows: list[str]) -> torch.Tensor:
            """The model's output for each row's prompt; x is repeated to the number of rows."""
            text, cond = prompts.batch(rows)
            x = x.repeat(len(rows) // x.shape[0], 1, 1, 1)
            added = model.added_cond(cond, cfg.resolution, cfg.resolution, len(rows))
            with autocast():
                return unet(x, t, text, added_cond_kwargs=added).sample.float()

        def denoise(x: torch.Tensor, timesteps, chosen: list[dict], sign: float) -> torch.Tensor:
            """DDIM steps over `timesteps` from x with the slider at `sign` and CFG on the target prompts."""
            set_multiplier(model, ADAPTER, sign)
            for t in timesteps:
                uncond, cond = predict(x, t, [""] * B + [s["target"] for s in chosen]).chunk(2)
                x = sampler.step((uncond + cfg.denoise_cfg * (cond - uncond)).to(x.dtype), t, x).prev_sample
            set_multiplier(model, ADAPTER, 0.0)
            return x

        def pick(steps: list[int]) -> int:
            """One of the sampler steps, drawn from the loop's generator."""
            return steps[int(torch.randint(0, len(steps), (1,), generator=gen))]

        @torch.no_grad()
        def draw_state(chosen: list[dict], stop: int, sign: float) -> tuple:
            """5a–5b. x_t by partial denoising with the slider at `sign` and CFG on the target prompts, then the
            base's predictions there (slider off, biases on): (x_t, t, o_N, o_P − o_M, o_A, late, early), where
            late / early are the (state, t, o_T) kept by `late_anchor` / `early_anchor`, or None when off."""
            def kept(y: torch.Tensor, k: int) -> tuple:  # a state at sampler step k and the base's o_T there
                return y, sampler.timesteps[k], predict(y, sampler.timesteps[k], [s["target"] for s in chosen])

            x = torch.randn((B, model.latent_channels, h, w), generator=gen).to(device, model.dtype)
            x, begin, early = x * sampler.init_noise_sigma, 0, None
            if cfg.early_anchor > 0 and early_stops:  # a state before the window on the way to x_t
                begin = pick(early_stops)
                x = denoise(x, sampler.timesteps[:begin], chosen, sign)
                early = kept(x, begin)
            x = denoise(x, sampler.timesteps[begin:stop], chosen, sign)
            t = sampler.timesteps[stop]
            rows = [s["neutral"] for s in chosen] + [s["positive"] for s in chosen] + \
                [s["negative"] for s in chosen] + [a for a in anchor_prompts for _ in range(B)]
            base = predict(x, t, rows)
            late = None
            if cfg.late_anchor > 0 and late_stops:  # x_t' at a step past the window, denoised on from x_t
                end = pick(late_stops)
                late = kept(denoise(x, sampler.timesteps[stop:end], chosen, sign), end)
            return x, t, base[:B], base[B:2 * B] - base[2 * B:3 * B], base[3 * B:], late, early

        # 5. Resume from a checkpoint of the same run, if asked and present; then the loop.
        losses, anchor_losses, start = [], [], 0
        state = checkpoints.load(cfg.checkpoint_path, cfg.run_hash()) if cfg.resume else None
        if state is not None:
            load_trainable_state(model, ADAPTER, state["lora"])
            optimizer.load_state_dict(state["optimizer"])
            lr_schedule.load_state_dict(state["lr_scheduler"])
            gen.set_state(state["generator"])
            start, losses, anchor_losses = state["step"], list(state["losses"]), list(state["anchor_losses"])
            log.info("resuming slider %s at step %d", cfg.output, start)
        t0, step = time.monotonic(), start
        for step in range(start + 1, cfg.steps + 1):
            ctx.check_cancelled("training")
            chosen = [sets[i] for i in torch.randint(0, len(sets), (B,), generator=gen).tolist()]
            targets = [s["target"] for s in chosen]
            if cfg.denoise_sign == "random":  # one x_t, drawn with the slider at a random sign, for both signs
                stop = pick(stops)
                sign = 1.0 if torch.rand((1,), generator=gen).item() < 0.5 else -1.0
                drawn = draw_state(chosen, stop, sign)
                states = {1.0: drawn, -1.0: drawn}
            else:  # "matched": each sign trained on its own x_t, drawn with the slider at that sign
                states = {s: draw_state(chosen, pick(stops), s) for s in (1.0, -1.0)}

            # 5c. The slider at +1 and −1 on the target prompts (toward o_N ± η·direction) and the anchors (o_A).
            loss_total, anchor_total = 0.0, 0.0
            for s in (1.0, -1.0):
                x, t, o_n, direction, o_a, late, early = states[s]
                set_multiplier(model, ADAPTER, s)
                pred = predict(x, t, targets + [a for a in anchor_prompts for _ in range(B)])
                eta = cfg.guidance if s > 0 else cfg.guidance_negative
                loss = F.mse_loss(pred[:B], o_n + s * eta * direction)
                if anchor_prompts:
                    per_anchor = (pred[B:] - o_a).pow(2).flatten(1).mean(1).view(len(anchor_prompts), B).mean(1)
                    anchor = (per_anchor * anchor_strength).sum()
                    loss = loss + anchor
                    anchor_total += float(anchor.detach()) / 2
                for keep, strength in ((late, cfg.late_anchor), (early, cfg.early_anchor)):
                    if keep is not None:  # outside the window the slider keeps the target prompt's base prediction
                        loss = loss + strength * F.mse_loss(predict(keep[0], keep[1], targets), keep[2])
                loss = loss / 2
                if scaler is not None:
                    scaler.scale(loss).backward()
                else:
                    loss.backward()
                loss_total += float(loss.detach())
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            lr_schedule.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss_total)
            anchor_losses.append(anchor_total)

            elapsed = time.monotonic() - t0
            its = (step - start) / elapsed if elapsed > 0 else 0.0
            ctx.progress({"step": step, "total": cfg.steps, "loss": losses[-1], "anchor_loss": anchor_total,
                          "lr": lr_schedule.get_last_lr()[0], "its": its,
                          "eta_s": (cfg.steps - step) / its if its else None}, force=step == cfg.steps)
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.steps:
                checkpoints.save(cfg.checkpoint_path, {
                    "run_hash": cfg.run_hash(), "step": step, "lora": extract_kohya(model, ADAPTER, torch.float32),
                    "optimizer": optimizer.state_dict(), "lr_scheduler": lr_schedule.state_dict(),
                    "generator": gen.get_state(), "losses": losses, "anchor_losses": anchor_losses})
        ctx.check_cancelled("training")

        # 6. Save the slider alone (the biases are not part of it), kohya format, with metadata.
        set_multiplier(model, ADAPTER, 1.0)
        tensors = extract_kohya(model, ADAPTER, SAVE_DTYPES[cfg.save_precision])
        check_trained(tensors)
        finished = time.time()
        seconds = finished - started
        write_lora(cfg.output, tensors, slider_metadata(cfg, model, step, started, finished,
                                                        [file_sha256(b["path"]) for b in cfg.over]))
        cfg.checkpoint_path.unlink(missing_ok=True)
        return {"path": str(Path(cfg.output)), "steps_done": step, "final_loss": losses[-1] if losses else None,
                "seconds": round(seconds, 3), "losses": losses, "anchor_losses": anchor_losses if anchor_prompts else None,
                "its": round((step - start) / max(time.monotonic() - t0, 1e-9), 3)}
    except Cancelled:
        log.info("slider %s cancelled; checkpoint (if any) kept at %s", cfg.output, cfg.checkpoint_path)
        raise
    finally:
        if cfg.gradient_checkpointing:
            unet.disable_gradient_checkpointing()
        unet.eval()
        remove_adapters(model, adapters)


def slider_metadata(cfg: SliderConfig, model, steps_done: int, started_at: float, finished_at: float,
                    bias_hashes: list[str]) -> dict:
    """sd-scripts' ss_* keys (as for any LoRA, with no images), LECO's ss_leco_* keys, and our provenance."""
    no_images = SimpleNamespace(captions=[], paths=[], hashes=[])
    meta = training_metadata(cfg, model, no_images, steps_done, started_at, finished_at, bias_hashes,
                             prediction_type=model.scheduler_config.get("prediction_type", "epsilon"))
    pairs = []  # the four ± pairs of each target, in sd-scripts' LECO terms (its "unconditional" is the other pole)
    for s in (cfg.prompts_for(t) for t in cfg.targets):
        for pos, unc, action, mult in ((s["negative"], s["positive"], "erase", 1.0), (s["positive"], s["negative"], "enhance", 1.0),
                                       (s["positive"], s["negative"], "erase", -1.0), (s["negative"], s["positive"], "enhance", -1.0)):
            pairs.append({"target": s["target"], "positive": pos, "unconditional": unc, "neutral": s["neutral"],
                          "action": action, "multiplier": mult, "weight": 1.0,
                          "guidance_scale": cfg.guidance if mult > 0 else cfg.guidance_negative})
    meta.update({
        "ss_training_comment": "text slider trained by lorabias from prompts alone (no images)",
        "ss_leco_prompt_count": str(len(pairs)),
        "ss_leco_preview": json.dumps(pairs[:16], ensure_ascii=False),
        "lorabias_slider": json.dumps({
            "targets": cfg.targets, "positive": cfg.positive, "negative": cfg.negative, "neutral": cfg.neutral,
            "guidance": cfg.guidance, "guidance_negative": cfg.guidance_negative, "anchors": [{"prompt": a.prompt, "strength": a.strength} for a in cfg.anchors],
            "timesteps": list(cfg.timesteps), "denoise_steps": cfg.denoise_steps, "denoise_cfg": cfg.denoise_cfg,
            "denoise_sign": cfg.denoise_sign, "late_anchor": cfg.late_anchor, "early_anchor": cfg.early_anchor,
            "bipolar": True, "prediction_type": model.scheduler_config.get("prediction_type", "epsilon")},
            ensure_ascii=False),
    })
    for key, value in cfg.metadata.items():  # the cell's provenance wins over the defaults above
        meta[f"lorabias_{key}" if not key.startswith(("ss_", "lorabias_", "modelspec.")) else key] = \
            value if isinstance(value, str) else json.dumps(value)
    return meta
