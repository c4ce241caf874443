"""When along the sampler's 25 steps do a size LoRA's size and colour changes arise, and through which branch of
classifier-free guidance? On the harness's prompts that state no size (families b, c), each LoRA is switched on
from sampler step k onward (off before it) at weight w, and, with `--branches`, applied to the conditional
branch only (the unconditional prediction left as the base model's). Size change and colour shift per unit of
size are printed per family (k = 0 on both branches is the harness's own figure). The base model's own prompt
switch ("{prompt}" before step k, "small/large, {prompt}" from k, as A1111's prompt editing) is printed too.

    .venv/bin/python bench/engine/decision_steps.py [--split tuning] [--weight -1] [--onsets 0,1,2,4,7]
        [--branches] [--cells size-text@3,size@2,...] [--keep DIR]

Cells are those of recipes/text-slider.lorabias, `@n` the training seed; trained LoRAs are kept in --keep and
reused from there.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "engine"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from lorabias_engine import lora  # noqa: E402
from lorabias_engine.models.registry import Registry  # noqa: E402
from lorabias_engine.models.schedulers import make_scheduler  # noqa: E402
from lorabias_engine.sample import initial_noise  # noqa: E402
from lorabias_engine.shapes import harness as H  # noqa: E402
from lorabias_engine.shapes.claim import train_loras  # noqa: E402

RECIPE = ROOT / "recipes" / "text-slider.lorabias"


@torch.no_grad()
def sample_schedule(model, before: list[str], after: list[str], seeds: list[int], onset: int = 0, lora_path=None,
                    weight: float = 0.0, uncond_weight: float | None = None) -> torch.Tensor:
    """The harness's DDIM sampling (same noise, steps and cfg; identical pictures when nothing is switched) with
    the prompt `before` → `after` and the LoRA 0 → `weight` switched at sampler step `onset`; the unconditional
    branch gets the LoRA at `uncond_weight` (default: `weight`, as every UI applies a LoRA)."""
    sch = make_scheduler(H.SAMPLE["sampler"], model.scheduler_config)
    sch.set_timesteps(H.SAMPLE["steps"])
    size = int(model.unet.config.sample_size)
    specs = [] if lora_path is None else [{"path": str(lora_path), "weight": 0.0}]
    with lora.loras_applied(model, specs, "switch") as names:
        lora.activate(model, names)
        emb_b, emb_a = model.encode_prompts(before)[0], model.encode_prompts(after)[0]
        unc = model.encode_prompts([""] * len(seeds))[0]
        x = torch.cat([initial_noise(model, s, size, size) for s in seeds]) * sch.init_noise_sigma

        def predict(x, t, emb, w):
            for n in names:
                lora.set_multiplier(model, n, w)
            return model.unet(sch.scale_model_input(x, t), t, emb).sample

        for i, t in enumerate(sch.timesteps):
            on = i >= onset
            w = weight if on else 0.0
            wu = (weight if uncond_weight is None else uncond_weight) if on else 0.0
            u, c = predict(x, t, unc, wu), predict(x, t, emb_a if on else emb_b, w)
            x = sch.step(u + H.SAMPLE["cfg"] * (c - u), t, x).prev_sample
        return model.decode_latents(x)


def line(name: str, base, imgs, wants) -> None:
    out = []
    for fam in ("bc", "b", "c"):
        idx = [i for i, w in enumerate(wants) if w["family"] in fam]
        s = H.summarize([H.pair_figures(base[i], imgs[i]) for i in idx])
        cps = "—" if s["color_per_size"] is None else f"{s['color_per_size']:.3f}"
        size = "—" if s["size_change"] is None else f"{s['size_change']:+.3f}"
        out.append(f"{fam}: size {size} colour {s['color_shift'] or 0:.3f} c/s {cps} valid {s['valid']}/{s['pairs']}")
    print(f"{name:<34} " + " | ".join(out), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="tuning", choices=list(H.SPLITS))
    ap.add_argument("--weight", type=float, default=-1.0)
    ap.add_argument("--onsets", default="0,1,2,4,7")
    ap.add_argument("--branches", action="store_true", help="also: the LoRA on the conditional branch only")
    ap.add_argument("--cells", default="size-text@3,size-text@4,size-text@11,size@2,size@4,size@11")
    ap.add_argument("--keep", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "lorabias-decision-steps")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    reg = Registry()
    model = reg.load({"checkpoint": "builtin:tiny-shapes"})[0]
    onsets = [int(k) for k in args.onsets.split(",")]
    wants = [w for f in "bc" for w in H.prompts(f, args.split)]
    prompts, seeds = [w["prompt"] for w in wants], [w["seed"] for w in wants]
    base = sample_schedule(model, prompts, prompts, seeds)
    word = "small" if args.weight < 0 else "large"
    for k in onsets:
        line(f"prompt '{word}' from step {k}", base,
             sample_schedule(model, prompts, [f"{word}, {p}" for p in prompts], seeds, k), wants)
    for spec in (s for s in args.cells.split(",") if s):
        cell, _, seed = spec.partition("@")
        path = args.keep / spec / f"{cell}.safetensors"
        if not path.exists():
            over = {cell: {"seed": int(seed)}} if seed else {}
            path = Path(train_loras(model, reg, args.keep / spec, RECIPE, [cell], log=lambda *_: None,
                                    overrides=over)[cell])
        for k in onsets:
            line(f"{spec} {args.weight:+g} from step {k}", base,
                 sample_schedule(model, prompts, prompts, seeds, k, path, args.weight), wants)
        if args.branches:
            line(f"{spec} {args.weight:+g} conditional only", base,
                 sample_schedule(model, prompts, prompts, seeds, 0, path, args.weight, 0.0), wants)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
