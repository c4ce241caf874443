#!/usr/bin/env python
"""Train `builtin:tiny-shapes` from scratch on the synthetic shapes (lorabias_engine.shapes) — reproduces
engine/lorabias_engine/weights/tiny-shapes.safetensors.

    .venv/bin/python scripts/train_tiny_shapes.py                      # a run (time-boxed, see --minutes)
    .venv/bin/python scripts/train_tiny_shapes.py --steps 5 --out /tmp/x.safetensors   # smoke test (CI)

The committed weights came from one run in legs on a shared 2-core CPU (docs/tiny-shapes.md has the record):

    S=/tmp/tiny_state.pt
    .venv/bin/python scripts/train_tiny_shapes.py --threads 1 --state $S --minutes 90                # min-SNR-5
    .venv/bin/python scripts/train_tiny_shapes.py --threads 1 --state $S --minutes 150 --min-snr 0   # plain v-loss
    .venv/bin/python scripts/train_tiny_shapes.py --threads 1 --state $S --minutes 195 --min-snr 0

Each leg resumes from --state (weights, EMA, optimizer, random streams, elapsed time) and runs until the new
wall-clock budget, the learning rate following the cosine over the new budget. Dropping min-SNR weighting after
the first leg was what made the model follow colour prompts: for v-prediction min-SNR-5 weighs the noisiest
timesteps — where the colour and size of the shape are decided — by about SNR, i.e. almost nothing.

The model is the tiny family's UNet + text encoder (engine/lorabias_engine/configs/tiny) built from diffusers /
transformers components, trained jointly in pixel space (32x32) with the scheduler config's prediction type
(v-prediction), min-SNR-5 weighting, shuffled tags, per-tag dropout (so any subset of tags is a valid prompt) and caption
dropout (for classifier-free guidance). The saved weights are an EMA of the trained ones. Training stops at
--steps or after --minutes of wall clock, whichever comes first, and writes the weights every
--save-minutes so a usable model exists even if the run is cut short. Deterministic for a given seed and
thread count (up to float non-associativity on other CPUs).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "engine"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from lorabias_engine.builtin import RANDOM_SEED, WEIGHTS_DIR  # noqa: E402
from lorabias_engine.models.schedulers import training_scheduler  # noqa: E402
from lorabias_engine.models.tiny import build_tiny_components  # noqa: E402
from lorabias_engine.shapes.generator import random_spec, render  # noqa: E402


def augment_caption(spec, rng: np.random.Generator, tag_drop: float, caption_drop: float) -> str:
    if rng.random() < caption_drop:
        return ""
    tags = [spec.size, spec.color, spec.shape, spec.background]
    if rng.random() < 0.5:
        tags.append(spec.position)
    kept = [t for t in tags if rng.random() >= tag_drop]
    return ", ".join(kept[i] for i in rng.permutation(len(kept)))  # tags in any order, as kohya's shuffle_caption


def make_batch(rng: np.random.Generator, n: int, tag_drop: float, caption_drop: float):
    specs = [random_spec(rng) for _ in range(n)]
    pixels = torch.from_numpy(np.stack([render(s) for s in specs])).permute(0, 3, 1, 2).float() / 127.5 - 1
    return pixels, [augment_caption(s, rng, tag_drop, caption_drop) for s in specs]


def encode(text_encoder, tokenizer, captions: list[str]) -> torch.Tensor:
    ids = tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                    return_tensors="pt").input_ids
    return text_encoder(ids)[0]


def state_dict_of(unet, text_encoder) -> dict:
    out = {f"unet.{k}": v.detach().float().contiguous().clone() for k, v in unet.state_dict().items()}
    out.update({f"text_encoder.{k}": v.detach().float().contiguous().clone() for k, v in text_encoder.state_dict().items()})
    return out


def save_weights(path: Path, tensors: dict, meta: dict) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={k: str(v) for k, v in meta.items()})
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(WEIGHTS_DIR / "tiny-shapes.safetensors"))
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget; the lr schedule follows it")
    ap.add_argument("--save-minutes", type=float, default=5.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--tag-drop", type=float, default=0.15)
    ap.add_argument("--caption-drop", type=float, default=0.1)
    ap.add_argument("--min-snr", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--state", default=None, help="resume/save optimizer state here (optional)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    comps = build_tiny_components(seed=RANDOM_SEED)
    unet, text_encoder, tokenizer = comps["unet"], comps["text_encoder"], comps["tokenizer"]
    sched = training_scheduler(comps["scheduler_config"])
    pred_type = sched.config.prediction_type
    alphas_cumprod = sched.alphas_cumprod.float()
    unet.train()
    text_encoder.train()
    params = list(unet.parameters()) + list(text_encoder.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-2)
    ema_unet, ema_te = copy.deepcopy(unet).eval(), copy.deepcopy(text_encoder).eval()
    n_params = sum(p.numel() for p in params)

    step, elapsed_before = 0, 0.0
    if args.state and Path(args.state).exists():
        st = torch.load(args.state, weights_only=False)
        unet.load_state_dict(st["unet"]); text_encoder.load_state_dict(st["te"])
        ema_unet.load_state_dict(st["ema_unet"]); ema_te.load_state_dict(st["ema_te"])
        opt.load_state_dict(st["opt"]); step = st["step"]; elapsed_before = st["elapsed"]
        rng = st["rng"]; gen.set_state(st["gen"])
        print(f"resumed at step {step}", flush=True)

    budget = args.minutes * 60
    t0 = time.time() - elapsed_before
    last_save = time.time()
    out = Path(args.out)
    losses: list[float] = []
    print(f"params {n_params} prediction {pred_type} batch {args.batch} budget {args.minutes} min "
          f"threads {args.threads}", flush=True)

    def meta(final: bool) -> dict:
        return {"format": "lorabias-tiny-shapes", "steps": step, "batch": args.batch,
                "train_seconds": round(time.time() - t0), "final": final, "prediction_type": pred_type,
                "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpus, "
                           f"{args.threads} threads, torch {torch.__version__}",
                "args": json.dumps(vars(args), sort_keys=True)}

    def save(final: bool) -> None:
        save_weights(out, state_dict_of(ema_unet, ema_te), meta(final))
        if args.state:
            torch.save({"unet": unet.state_dict(), "te": text_encoder.state_dict(), "ema_unet": ema_unet.state_dict(),
                        "ema_te": ema_te.state_dict(), "opt": opt.state_dict(), "step": step,
                        "elapsed": time.time() - t0, "rng": rng, "gen": gen.get_state()}, args.state)
        print(f"saved {out} at step {step} ({time.time() - t0:.0f}s)", flush=True)

    while step < args.steps and time.time() - t0 < budget:
        step += 1
        frac = min(1.0, (time.time() - t0) / budget)
        lr = args.lr * min(1.0, step / args.warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        pixels, captions = make_batch(rng, args.batch, args.tag_drop, args.caption_drop)
        noise = torch.randn(pixels.shape, generator=gen)
        t = torch.randint(0, sched.config.num_train_timesteps, (args.batch,), generator=gen)
        noisy = sched.add_noise(pixels, noise, t)
        text = encode(text_encoder, tokenizer, captions)
        pred = unet(noisy, t, text).sample
        if pred_type == "v_prediction":
            target = sched.get_velocity(pixels, noise, t)
        elif pred_type == "epsilon":
            target = noise
        else:
            target = pixels
        loss = F.mse_loss(pred, target, reduction="none").flatten(1).mean(1)
        if args.min_snr:
            snr = alphas_cumprod[t] / (1 - alphas_cumprod[t])
            divisor = {"epsilon": snr, "v_prediction": snr + 1, "sample": torch.ones_like(snr)}[pred_type]
            loss = loss * torch.clamp(snr, max=args.min_snr) / divisor
        loss = loss.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for src, dst in ((unet, ema_unet), (text_encoder, ema_te)):
                for p, q in zip(src.parameters(), dst.parameters()):
                    q.lerp_(p, 1 - decay)
        losses.append(loss.item())
        if step % 25 == 0 or step == 1:
            el = time.time() - t0
            print(f"step {step} loss {np.mean(losses[-25:]):.4f} lr {lr:.2e} {el:.0f}s {step / max(el, 1e-9):.2f} it/s",
                  flush=True)
        if time.time() - last_save > args.save_minutes * 60:
            save(False)
            last_save = time.time()
    save(True)
    print(f"done: {step} steps in {time.time() - t0:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
