"""Training a LoRA, the "bias then train" way. Reads top to bottom like diffusers' example scripts:

load model → data (latents and text embeddings cached once) → bias LoRAs applied frozen → trainable target
LoRA → optimizer and schedule → the loop (noise, predict, loss, step; progress, cancel, checkpoints, fidelity)
→ save in kohya format. The bias adapters are never part of the result.
"""
from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from . import checkpoints, fidelity, memory, schemes
from .distributed import SINGLE
from .errors import Cancelled, bad_request
from .export import write_lora, training_metadata
from .finite import LossWatch, check_trained
from .images import file_sha256, load_dataset
from .lora import activate, add_trainable, apply_lora_file, extract_kohya, load_trainable_state, remove_adapters
from .models.schedulers import training_scheduler
from .protocol import JobContext
from .train_config import TrainConfig, parse_train

log = logging.getLogger(__name__)
SAVE_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "float": torch.float32}


def remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # holds a checkpoint to resume from, or the result, or is gone


def train(params: dict, ctx: JobContext, registry, dist=SINGLE) -> dict:
    started = time.time()
    model = registry.resolve(params)
    default_res = {"tiny": 32, "sd15": 512, "sdxl": 1024}[model.family]
    cfg = parse_train(params, default_res)
    device = model.device
    torch.manual_seed(cfg.seed)
    if dist.world > 1 and cfg.train_text_encoder:
        raise bad_request("train_text_encoder is single-GPU only for now; drop it or run on one GPU")
    # every random draw of the loop comes from here; each GPU of a multi-GPU run draws its own noise
    gen = torch.Generator("cpu").manual_seed(cfg.seed + 1_000_003 * dist.rank)

    # 1. Data: images → latents and captions → text embeddings, computed once (a copier sees one image
    #    hundreds of times; encoding it every step would be most of the work).
    data = load_dataset(cfg.images, cfg.captions, cfg.resolution)
    latents_all = model.encode_images(data.pixels)
    cached_text = None

    adapters: list[str] = []
    unet = model.unet
    made = [p for p in [Path(cfg.output).parent, *Path(cfg.output).parent.parents] if not p.exists()]
    Path(cfg.output).parent.mkdir(parents=True, exist_ok=True)  # what it made goes again if left empty
    try:
        # 2. Bias LoRAs ("over"): applied live, frozen, at their multipliers — like sd-scripts' --base_weights.
        over_reports = []  # what each file applied and skipped, for the cell's output
        for i, bias in enumerate(cfg.over):
            report = apply_lora_file(model, bias["path"], f"bias{i}", float(bias.get("weight", 1.0)))
            over_reports.append({k: v for k, v in report.items() if k != "metadata"})
            adapters.append(f"bias{i}")
        for i, bias in enumerate(cfg.negative_over):  # bipolar: the biases of the −1 phase
            apply_lora_file(model, bias["path"], f"neg{i}", float(bias.get("weight", 1.0)))
            adapters.append(f"neg{i}")
        if cfg.scheme != "over-copier" and not cfg.cache:
            raise bad_request(f"scheme {cfg.scheme!r} needs cached latents and text (cache: true)")
        if cfg.cache and not cfg.train_text_encoder:  # text embeddings once, through any bias text-encoder LoRA
            activate(model, adapters)
            with torch.no_grad():
                cached_text = model.encode_prompts(data.captions, clip_skip=cfg.clip_skip)
        # with latents and embeddings cached, the VAE and text encoders wait off the training device
        memory.park(model, vae=cfg.cache, text=cached_text is not None)

        # 3. The target LoRA: the only trainable weights.
        trainable = add_trainable(model, "target", cfg.rank, cfg.alpha, conv_rank=cfg.conv_rank,
                                  conv_alpha=cfg.conv_alpha, text_encoder=cfg.train_text_encoder)
        adapters.append("target")
        activate(model, adapters, trainable="target")

        # 4. Optimizer and learning-rate schedule.
        from diffusers.optimization import get_scheduler

        optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=1e-2)
        lr_schedule = get_scheduler(cfg.scheduler, optimizer, num_warmup_steps=cfg.warmup_steps,
                                    num_training_steps=cfg.steps)
        noise_scheduler = training_scheduler(model.scheduler_config)
        alphas_cumprod = noise_scheduler.alphas_cumprod.to(device)
        prediction_type = noise_scheduler.config.prediction_type
        use_amp = device.type == "cuda" and cfg.mixed_precision != "no"
        amp_dtype = torch.bfloat16 if cfg.mixed_precision == "bf16" else torch.float16
        scaler = torch.amp.GradScaler("cuda") if use_amp and amp_dtype == torch.float16 else None
        watch = LossWatch(scaled=scaler is not None, over=[str(b['path']) for b in cfg.over])
        if cfg.mixed_precision != "no" and device.type != "cuda":
            log.info("mixed_precision=%s ignored on %s (autocast is used on CUDA only)", cfg.mixed_precision, device)
        if cfg.gradient_checkpointing:
            unet.enable_gradient_checkpointing()
        unet.train()
        forward = dist.wrap(unet)  # the UNet itself, or its DDP wrapper when several GPUs train together
        scheme = None
        if cfg.scheme != "over-copier":  # the pairs' originals (A), aligned with the dataset (A′)
            pairs = load_dataset(cfg.pair_images, cfg.pair_captions, cfg.resolution)
            with torch.no_grad():
                pair_text = model.encode_prompts(pairs.captions)
            scheme = schemes.PairScheme(cfg, model, forward, noise_scheduler, latents_all,
                                        model.encode_images(pairs.pixels), cached_text, pair_text,
                                        [a for a in adapters if a.startswith("bias")],
                                        [a for a in adapters if a.startswith("neg")], captions=data.captions)

        # 5. Resume from a checkpoint of the same run, if asked and present.
        start, losses, history = 0, [], []
        held, fid_value = False, None
        state = checkpoints.load(cfg.checkpoint_path, cfg.run_hash()) if cfg.resume else None
        if state is not None:
            load_trainable_state(model, "target", state["lora"])
            optimizer.load_state_dict(state["optimizer"])
            lr_schedule.load_state_dict(state["lr_scheduler"])
            gen.set_state(state["generator"])
            start, losses, history = state["step"], list(state["losses"]), list(state["fidelity_history"])
            log.info("resuming %s at step %d", cfg.output, start)

        # 6. The loop.
        n = latents_all.shape[0]
        t0, step = time.monotonic(), start
        for step in range(start + 1, cfg.steps + 1):
            ctx.check_cancelled("training")
            idx = torch.randint(0, n, (cfg.batch_size,), generator=gen)
            if scheme is not None:  # bipolar / pair-difference (schemes.py)
                loss = scheme.loss(step, idx, gen)
            else:  # without caching, encode the image(s) every step, as a trainer that does not cache would
                latents = latents_all[idx] if cfg.cache else model.encode_images(data.pixels[idx])
                noise = torch.randn(latents.shape, generator=gen).to(device, latents.dtype)
                if cfg.noise_offset:
                    noise = noise + cfg.noise_offset * torch.randn((latents.shape[0], latents.shape[1], 1, 1),
                                                                   generator=gen).to(device, latents.dtype)
                timesteps = schemes.draw_timesteps(cfg.timesteps, cfg.batch_size, gen, noise_scheduler.config.num_train_timesteps).to(device)
                noisy = noise_scheduler.add_noise(latents, noise, timesteps)
                with torch.autocast("cuda", dtype=amp_dtype) if use_amp else contextlib.nullcontext():
                    if cached_text is not None:
                        text = cached_text[0][idx.to(cached_text[0].device)]
                        cond = None if cached_text[1] is None else {"text_embeds": cached_text[1]["text_embeds"][idx.to(device)]}
                    else:
                        with torch.set_grad_enabled(cfg.train_text_encoder):
                            text, cond = model.encode_prompts([data.captions[i] for i in idx.tolist()], clip_skip=cfg.clip_skip)
                    added = model.added_cond(cond, cfg.resolution, cfg.resolution, cfg.batch_size)
                    pred = forward(noisy, timesteps, text, added_cond_kwargs=added).sample
                target = {"epsilon": noise, "sample": latents}.get(prediction_type) if prediction_type != "v_prediction" \
                    else noise_scheduler.get_velocity(latents, noise, timesteps)
                loss = F.mse_loss(pred.float(), target.float(), reduction="none").flatten(1).mean(1)
                if cfg.min_snr_gamma:
                    snr = alphas_cumprod[timesteps] / (1 - alphas_cumprod[timesteps])
                    # Hang et al. 2023: min(SNR, γ) divided by what the prediction type already weights by
                    divisor = {"epsilon": snr, "v_prediction": snr + 1, "sample": torch.ones_like(snr)}[prediction_type]
                    # (zero terminal SNR: snr 0 at the last step, where the epsilon weight's limit is 1)
                    weight = torch.nan_to_num(torch.clamp(snr, max=cfg.min_snr_gamma) / divisor, nan=1.0)
                    loss = loss * weight
                loss = loss.mean()
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            lr_schedule.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(float(loss.detach()))
            watch.step(step, losses[-1])

            elapsed = time.monotonic() - t0
            its = (step - start) / elapsed if elapsed > 0 else 0.0
            ctx.progress({"step": step, "total": cfg.steps, "loss": losses[-1], "lr": lr_schedule.get_last_lr()[0],
                          "its": its, "eta_s": (cfg.steps - step) / its if its else None}, force=step == cfg.steps)

            if cfg.until and step % cfg.until.every == 0:
                fid_value = fidelity.measure(model, data.pixels / 2 + 0.5, cfg.until.prompts or data.captions[:1],
                                             cfg.until.seeds, cfg.until.steps, cfg.until.cfg, ctx,
                                             clip_skip=cfg.clip_skip)
                history.append({"step": step, "value": fid_value})
                unet.train()
                ctx.event("fidelity", {"step": step, "value": fid_value, "target": cfg.until.fidelity})
                if dist.agree(fid_value >= cfg.until.fidelity):
                    held = True
                    break
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.steps and dist.is_main:
                checkpoints.save(cfg.checkpoint_path, {
                    "run_hash": cfg.run_hash(), "step": step, "lora": extract_kohya(model, "target", torch.float32),
                    "optimizer": optimizer.state_dict(), "lr_scheduler": lr_schedule.state_dict(),
                    "generator": gen.get_state(), "losses": losses, "fidelity_history": history})
        if scheme is not None:
            scheme.finish()
        ctx.check_cancelled("training")
        if cfg.until and not held and (not history or history[-1]["step"] != step):
            fid_value = fidelity.measure(model, data.pixels / 2 + 0.5, cfg.until.prompts or data.captions[:1],
                                         cfg.until.seeds, cfg.until.steps, cfg.until.cfg, ctx,
                                             clip_skip=cfg.clip_skip)
            history.append({"step": step, "value": fid_value})
            held = fid_value >= cfg.until.fidelity

        # 7. Save the target alone, in kohya format, with sd-scripts' metadata and our provenance.
        tensors = extract_kohya(model, "target", SAVE_DTYPES[cfg.save_precision])
        check_trained(tensors)
        finished = time.time()
        seconds = finished - started
        if dist.is_main:
            metadata = training_metadata(cfg, model, data, step, started, finished,
                                         bias_hashes=[file_sha256(b["path"]) for b in cfg.over],
                                         prediction_type=prediction_type)
            write_lora(cfg.output, tensors, metadata)
            cfg.checkpoint_path.unlink(missing_ok=True)
        dist.barrier()
        return {"path": str(Path(cfg.output)), "steps_done": step, "final_loss": losses[-1] if losses else None,
                "seconds": round(seconds, 3), "losses": losses, "over": over_reports,
                "trajectory_losses": None if scheme is None or scheme.trajectory is None else scheme.trajectory.losses,
                "fidelity": None if cfg.until is None else {"value": fid_value, "held": held, "target": cfg.until.fidelity,
                                                            "history": history}}
    except Cancelled:
        log.info("training %s cancelled; checkpoint (if any) kept at %s", cfg.output, cfg.checkpoint_path)
        raise
    finally:
        for folder in made:
            remove_if_empty(folder)
        if cfg.gradient_checkpointing:
            unet.disable_gradient_checkpointing()
        unet.eval()
        memory.unpark(model)
        remove_adapters(model, adapters)
        for enc in model.text_encoders:
            enc.eval()
