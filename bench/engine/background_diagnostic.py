"""Where does a size LoRA's background change come from (docs/method.md section 6.1)? The demo's naive and size
LoRAs on the harness's split (families b, c), the base model's own prompt-driven size changes, and another seed of
the same prompt: the harness figure, the same 3 px or more from the shapes, the ring profile, the background's
mean-colour shift and its roughness before and after, and the figure on 8-bit pictures.

    .venv/bin/python bench/engine/background_diagnostic.py [tuning|test]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "engine")); sys.path.insert(0, str(ROOT / "bench" / "engine"))
import numpy as np, torch  # noqa: E401,E402
torch.set_num_threads(1)
from method_sweep import train_one, parse_candidate
from lorabias_engine.models.registry import Registry
from lorabias_engine.shapes import harness as H
from lorabias_engine.shapes.analyse import to_float_hwc

split = sys.argv[1] if len(sys.argv) > 1 else "tuning"
reg = Registry(); model = reg.load({"checkpoint": "builtin:tiny-shapes"})[0]
import tempfile
keep = Path(tempfile.mkdtemp(prefix="lorabias-diagnostic-"))
wants = [w for f in "bc" for w in H.prompts(f, split)]
base = H.sample_with(model, None, 0.0, wants)

def stats(b, a):
    p0, p1 = to_float_hwc(b), to_float_hwc(a)
    r0, r1 = H._region(p0)[0], H._region(p1)[0]
    bg = ~(H._dilate(r0) | H._dilate(r1))
    far = ~(H._dilate8(H._dilate8(H._dilate8(r0 | r1))))
    m0, m1 = p0[bg].mean(0), p1[bg].mean(0)
    rough0 = np.abs(p0[bg] - np.median(p0[bg], 0)).mean(); rough1 = np.abs(p1[bg] - np.median(p1[bg], 0)).mean()
    q = lambda x: np.round(x * 255) / 255
    return dict(pix=np.abs(p1 - p0).mean(-1)[bg].mean(), pix_q=np.abs(q(p1) - q(p0)).mean(-1)[bg].mean(),
                pix_far3=np.abs(p1 - p0).mean(-1)[far].mean() if far.any() else np.nan,
                mean_shift=np.abs(m1 - m0).mean(), rough0=rough0, rough1=rough1, rough_change=abs(rough1 - rough0),
                prof=H.background_profile(b, a))

def report(name, imgs, before=base):
    st = [stats(b, a) for b, a in zip(before, imgs)]
    figs = H.summarize([H.pair_figures(b, a) for b, a in zip(before, imgs)])
    agg = {k: float(np.nanmean([s[k] for s in st])) for k in st[0] if k != "prof"}
    prof = np.nanmean(np.array([[np.nan if v is None else v for v in s["prof"]] for s in st]), 0)
    print(f"{name}: size {figs['size_change']:+.3f} bg {figs['background_change']:.4f} valid {figs['valid']}/{figs['pairs']} | "
          + " ".join(f"{k} {v:.4f}" for k, v in agg.items()) + f" | rings 1..6,far {np.round(prof, 4).tolist()}", flush=True)

for text in ["naive=@naive", "pd="]:
    name, cell, settings = parse_candidate(text)
    path, secs = train_one(model, reg, cell, settings, keep / f"{name}.safetensors")
    print(f"{name} trained in {secs:.0f} s", flush=True)
    for w in (1.0, -1.0):
        report(f"{name} {w:+g}", H.sample_with(model, path, w, wants))
small = [dict(w, prompt="small, " + w["prompt"]) for w in wants]
large = [dict(w, prompt="large, " + w["prompt"]) for w in wants]
s_imgs, l_imgs = H.sample_with(model, None, 0, small), H.sample_with(model, None, 0, large)
report("prompt small→large", l_imgs, s_imgs)
report("prompt large→small", s_imgs, l_imgs)
report("prompt none→large", l_imgs)
report("prompt none→small", s_imgs)
# the same prompt, another seed: what a background re-drawn from scratch differs by
other = H.sample_with(model, None, 0, [dict(w, seed=w["seed"] + 1) for w in wants])
report("seed+1 (same prompt)", other)
