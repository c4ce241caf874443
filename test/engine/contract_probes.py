"""The engine-side probes of the recipe contract (see test_contract.py): for each request field, a check that
the engine reads it; which enum values it accepts; its defaults."""
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

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = {m: f for m, f in json.loads((ROOT / "test/contract/engine-requests.json").read_text()).items()
            if not m.startswith("_")}
SCHEMA = json.loads((ROOT / "extension/core/recipe/recipe.schema.json").read_text())
ENGINE = ROOT / "engine/lorabias_engine"
SOURCES = {p.name: p.read_text() for p in ENGINE.rglob("*.py")}
BASE_TRAIN = {"images": ["a.png"], "output": "/tmp/x.safetensors"}


def schema_of(key: str) -> dict:
    """recipe.schema.json's schema for a key path such as `bias.until.every` or `target.over[].weight`."""
    node = SCHEMA["properties"]
    parts = key.split(".")
    s = node[parts[0]]
    for part in parts[1:]:
        if part.endswith("[]"):
            s = s["properties"][part[:-2]]["items"]
            continue
        s = s["properties"][part]
        if "$ref" in s:
            s = SCHEMA["definitions"][s["$ref"].split("/")[-1]]
    return s


def used_outside_parser(expr: str) -> bool:
    return any(expr in text for name, text in SOURCES.items() if name != "train_config.py")


def cfg_probe(field: str, value, attr: str | None = None, get=None):
    """A train field: parsing it changes the config, and the training code reads that attribute."""
    attr = attr or field
    get = get or (lambda cfg: getattr(cfg, attr))

    def probe(_fx):
        base, changed = parse_train(dict(BASE_TRAIN), 32), parse_train({**BASE_TRAIN, **nest(field, value)}, 32)
        assert get(changed) != get(base), f"{field}: parsing it does not change cfg.{attr}"
        expr = f"cfg.{attr.split('.')[0]}" if "." not in attr else f"cfg.{attr}"
        assert used_outside_parser(expr), f"{field}: nothing outside train_config.py reads {expr}"
    return probe


BASE_SLIDER = {"output": "/tmp/x.safetensors", "targets": ["shape"], "positive": "large {target}"}


def slider_probe(field: str, value, attr: str | None = None):
    """A slider field: parsing it changes the slider config, and the slider's training code reads that attribute."""
    attr = attr or field

    def probe(_fx):
        base = parse_slider(dict(BASE_SLIDER), 32)
        changed = parse_slider({**BASE_SLIDER, **nest(field, value)}, 32)
        assert getattr(changed, attr) != getattr(base, attr), f"{field}: parsing it does not change cfg.{attr}"
        reads = [name for name in ("slider.py", "export.py", "lora.py") if f"cfg.{attr}" in SOURCES[name]]
        assert reads, f"{field}: nothing outside slider_config.py reads cfg.{attr}"
    return probe


def nest(field: str, value) -> dict:
    head, _, rest = field.partition(".")
    return {head: nest(rest, value) if rest else value}


def opt_probe(field: str, value, opt: str | None = None):
    """A sample field that is a per-image option: sample_options picks it up and generate() takes it."""
    opt = opt or field

    def probe(_fx):
        base, changed = sample_options({}, "tiny"), sample_options({field: value}, "tiny")
        assert changed[opt] == value and base[opt] != value
        assert opt in inspect.signature(generate).parameters
    return probe


def resolves_model(method_file: str):
    def probe(_fx):
        assert "registry.resolve(params)" in SOURCES[method_file], f"{method_file} does not load the request's model"
    return probe


# ---- real calls ---------------------------------------------------------------------------------------------------

def sample_probe(field: str, value, check):
    def probe(fx):
        base = dict(fx["sample"], output_dir=str(fx["tmp"] / f"a-{field}"))
        a = sample(base, JobContext("a"), fx["registry"])["images"]
        b = sample({**base, field: value, "output_dir": str(fx["tmp"] / f"b-{field}")}, JobContext("b"), fx["registry"])["images"]
        check(a, b, fx)
    return probe


def pixels(entry) -> torch.Tensor:
    import numpy as np
    from PIL import Image

    return torch.from_numpy(np.asarray(Image.open(entry["path"]), dtype=np.float32))


def load_probe(params: dict, check):
    def probe(fx):
        check(fx, lambda extra=None: fx["registry"].load({**params, **(extra or {})}))
    return probe


def _checkpoint(fx, load):
    model, _ = load()
    assert model.source == "builtin:tiny-shapes" and model.family == "tiny"
    with pytest.raises(EngineError) as err:
        load({"checkpoint": str(fx["tmp"] / "nowhere.safetensors")})
    assert "nowhere.safetensors" in err.value.message


def _family(fx, load):
    with pytest.raises(EngineError) as err:
        load({"family": "sd15"})
    assert "sd15" in err.value.message


def _dtype(fx, load):
    assert load({"dtype": "bfloat16"})[0].dtype == torch.bfloat16 and load({"dtype": "float32"})[0].dtype == torch.float32


def _vae(fx, load):
    with pytest.raises(EngineError) as err:
        load({"vae": str(fx["lora"])})
    assert "VAE" in err.value.message or "vae" in err.value.message


def _allow_pickle(fx, load):
    state = {f"unet.{k}": v for k, v in fx["model"].unet.state_dict().items()}
    state.update({f"text_encoder.{k}": v for k, v in fx["model"].text_encoders[0].state_dict().items()})
    ckpt = fx["tmp"] / "tiny.ckpt"
    torch.save(state, ckpt)
    with pytest.raises(EngineError) as err:
        fx["registry"].load({"checkpoint": str(ckpt)})
    assert err.value.code == "E_PICKLE_REFUSED"
    assert fx["registry"].load({"checkpoint": str(ckpt), "allow_pickle": True})[0].family == "tiny"


def _device(fx, load):
    assert load({"device": "cpu"})[0].device.type == "cpu"
    with pytest.raises(EngineError) as err:
        load({"device": "tpu"})
    assert "tpu" in err.value.message


def _load_clip_skip(fx, _load):
    from lorabias_engine.app import build_server
    import io

    out = io.StringIO()
    server = build_server(out)
    from lorabias_engine.protocol import JobContext as Ctx

    handler = server.handlers["load"]
    with pytest.raises(EngineError) as err:
        handler({"checkpoint": "builtin:tiny-shapes", "clip_skip": 9}, Ctx("l"))
    assert "clip_skip 9" in err.value.message
    assert handler({"checkpoint": "builtin:tiny-shapes", "clip_skip": 2}, Ctx("l"))["family"] == "tiny"


def _prediction_type(fx, load):
    # builtin:tiny-shapes declares v-prediction; the recipe's value overrides what the model declares
    assert load()[0].scheduler_config["prediction_type"] == "v_prediction"
    assert load({"prediction_type": "epsilon"})[0].scheduler_config["prediction_type"] == "epsilon"


def _zero_terminal_snr(fx, load):
    assert not load({"prediction_type": "v_prediction"})[0].scheduler_config.get("rescale_betas_zero_snr", False)
    model, _ = load({"prediction_type": "v_prediction", "zero_terminal_snr": True})
    assert model.scheduler_config["rescale_betas_zero_snr"] is True


def _lora_info_path(fx):
    from lorabias_engine.app import build_server
    import io

    handler = build_server(io.StringIO()).handlers["lora_info"]
    report = handler({"checkpoint": "builtin:tiny-shapes", "path": str(fx["lora"])}, JobContext("i"))
    assert report["modules"] > 0 and report["modules"] == report["total"], report
    with pytest.raises(EngineError) as err:
        handler({"checkpoint": "builtin:tiny-shapes", "path": str(fx["tmp"] / "missing.safetensors")}, JobContext("i"))
    assert "missing.safetensors" in err.value.message


def _scheme_field(field, value):
    """A pair scheme's field: parsed into the config (with the pair the scheme needs), and read by schemes.py."""
    pair = {"scheme": "pair-difference", "pair_images": ["b.png"]}
    base = parse_train({**BASE_TRAIN, **pair}, 32)
    changed = parse_train({**BASE_TRAIN, **pair, field: value}, 32)
    if field == "scheme":
        base = parse_train(dict(BASE_TRAIN), 32)
    assert getattr(changed, field) != getattr(base, field), field
    assert f"cfg.{field}" in SOURCES["schemes.py"] or f"cfg.{field}" in SOURCES["train.py"], field


def _conv_alpha():
    plain = parse_train({**BASE_TRAIN, "conv_rank": 2}, 32)
    assert parse_train({**BASE_TRAIN, "conv_rank": 2, "conv_alpha": 1}, 32).conv_alpha == 1.0 != plain.conv_alpha
    assert used_outside_parser("cfg.conv_alpha")


def _slider_conv_alpha():
    plain = parse_slider({**BASE_SLIDER, "conv_rank": 2}, 32)
    assert parse_slider({**BASE_SLIDER, "conv_rank": 2, "conv_alpha": 1}, 32).conv_alpha == 1.0 != plain.conv_alpha
    assert "conv_alpha=cfg.conv_alpha" in SOURCES["slider.py"]


def _export_field(field):
    def probe(fx):
        dst = fx["tmp"] / f"export-{field}.safetensors"
        params = {"lora": str(fx["lora"]), "to": str(dst), "metadata": {"trigger": "zxq"}, "dtype": "fp32"}
        export(params, JobContext("e"), fx["registry"])
        with safe_open(str(dst), "pt") as fh:
            meta, dtypes = fh.metadata(), {fh.get_tensor(k).dtype for k in fh.keys()}
        if field == "to":
            assert dst.exists()
        elif field == "metadata":
            assert meta["lorabias_trigger"] == "zxq"
        elif field == "dtype":
            assert dtypes == {torch.float32}
        elif field == "lora":
            with pytest.raises(EngineError) as err:
                export({**params, "lora": str(fx["tmp"] / "missing.safetensors")}, JobContext("e"), fx["registry"])
            assert "missing.safetensors" in err.value.message
    return probe


ENGINE_PROBES = {
    # load (and every request that names its model with these same parameters)
    ("load", "checkpoint"): load_probe({"checkpoint": "builtin:tiny-shapes"}, _checkpoint),
    ("load", "family"): load_probe({"checkpoint": "builtin:tiny-shapes"}, _family),
    ("load", "dtype"): load_probe({"checkpoint": "builtin:tiny-shapes"}, _dtype),
    ("load", "vae"): load_probe({"checkpoint": "builtin:tiny-shapes"}, _vae),
    ("load", "clip_skip"): load_probe({}, _load_clip_skip),
    ("load", "allow_pickle"): load_probe({}, _allow_pickle),
    ("load", "device"): load_probe({"checkpoint": "builtin:tiny-shapes"}, _device),
    ("load", "prediction_type"): load_probe({"checkpoint": "builtin:tiny-shapes"}, _prediction_type),
    ("load", "zero_terminal_snr"): load_probe({"checkpoint": "builtin:tiny-shapes"}, _zero_terminal_snr),
    # lora_info (a `bias: {file:}` cell asks what of the file fits its model)
    ("lora_info", "checkpoint"): resolves_model("app.py"),
    ("lora_info", "path"): _lora_info_path,
    # train
    ("train", "checkpoint"): resolves_model("train.py"),
    ("train", "images"): cfg_probe("images", ["b.png", "c.png"]),
    ("train", "captions"): cfg_probe("captions", ["a disc"]),
    ("train", "rank"): cfg_probe("rank", 4),
    ("train", "alpha"): cfg_probe("alpha", 2.0),
    ("train", "conv_rank"): cfg_probe("conv_rank", 2),
    ("train", "conv_alpha"): lambda fx: _conv_alpha(),
    ("train", "steps"): cfg_probe("steps", 7),
    ("train", "lr"): cfg_probe("lr", 0.002),
    ("train", "scheduler"): cfg_probe("scheduler", "cosine"),
    ("train", "warmup_steps"): cfg_probe("warmup_steps", 2),
    ("train", "batch_size"): cfg_probe("batch_size", 2),
    ("train", "resolution"): cfg_probe("resolution", 64),
    ("train", "seed"): cfg_probe("seed", 9),
    ("train", "mixed_precision"): cfg_probe("mixed_precision", "bf16"),
    ("train", "gradient_checkpointing"): cfg_probe("gradient_checkpointing", True),
    ("train", "train_text_encoder"): cfg_probe("train_text_encoder", True),
    ("train", "min_snr_gamma"): cfg_probe("min_snr_gamma", 5.0),
    ("train", "noise_offset"): cfg_probe("noise_offset", 0.05),
    ("train", "checkpoint_every"): cfg_probe("checkpoint_every", 3),
    ("train", "until.fidelity"): cfg_probe("until", {"fidelity": 0.7}, "until.fidelity", lambda c: c.until and c.until.fidelity),
    ("train", "until.every"): cfg_probe("until", {"fidelity": 0.7, "every": 7}, "until.every", lambda c: c.until and c.until.every),
    ("train", "until.prompts"): cfg_probe("until", {"fidelity": 0.7, "prompts": ["x"]}, "until.prompts", lambda c: c.until and c.until.prompts),
    ("train", "until.seeds"): cfg_probe("until", {"fidelity": 0.7, "seeds": [4]}, "until.seeds", lambda c: c.until and c.until.seeds),
    ("train", "over"): cfg_probe("over", [{"path": "b.safetensors", "weight": 0.5}]),
    ("train", "metadata.lorabias_role"): cfg_probe("metadata", {"lorabias_role": "bias"}),
    ("train", "metadata.lorabias_lock"): cfg_probe("metadata", {"lorabias_lock": "style"}),
    ("train", "metadata.lorabias_scheme"): cfg_probe("metadata", {"lorabias_scheme": "pair-difference"}),
    ("train", "metadata.lorabias_over"): cfg_probe("metadata", {"lorabias_over": [{"name": "c", "weight": 1}]}),
    ("train", "clip_skip"): cfg_probe("clip_skip", 2),
    ("train", "output"): cfg_probe("output", "/tmp/y.safetensors"),
    ("train", "resume"): cfg_probe("resume", True),
    ("train", "save_precision"): cfg_probe("save_precision", "float"),
    ("train", "scheme"): lambda fx: _scheme_field("scheme", "pair-difference"),
    ("train", "pair_images"): lambda fx: _scheme_field("pair_images", ["c.png"]),
    ("train", "pair_captions"): lambda fx: _scheme_field("pair_captions", ["a disc"]),
    ("train", "negative_over"): cfg_probe("negative_over", [{"path": "n.safetensors", "weight": 1}]),
    ("train", "timesteps"): cfg_probe("timesteps", [200, 800]),
    # sample
    ("sample", "checkpoint"): resolves_model("sample.py"),
    ("sample", "loras"): sample_probe("weights", [1], lambda a, b, fx: ((pixels(a[0]) - pixels(b[0])).abs().max() > 0) or pytest.fail("the LoRA at weight 1 changed nothing")),
    ("sample", "weights"): sample_probe("weights", [0, 1], lambda a, b, fx: [e["weight"] for e in b] == [0, 1] or pytest.fail(str(b))),
    ("sample", "prompts"): sample_probe("prompts", ["a red disc", "a blue square"], lambda a, b, fx: len(b) == 2 or pytest.fail(str(b))),
    ("sample", "seeds"): sample_probe("seeds", [1, 2], lambda a, b, fx: [e["seed"] for e in b] == [1, 2] or pytest.fail(str(b))),
    ("sample", "output_dir"): sample_probe("output_dir", None, lambda a, b, fx: all(Path(e["path"]).parent.name.startswith("b-") for e in b) or pytest.fail(str(b))),
    ("sample", "negative_prompt"): opt_probe("negative_prompt", "blurry"),
    ("sample", "steps"): opt_probe("steps", 6),
    ("sample", "cfg"): opt_probe("cfg", 4.5),
    ("sample", "scheduler"): opt_probe("scheduler", "euler_a"),
    ("sample", "width"): opt_probe("width", 48),
    ("sample", "height"): opt_probe("height", 40),
    ("sample", "clip_skip"): opt_probe("clip_skip", 2),
    # slider
    ("slider", "checkpoint"): resolves_model("slider.py"),
    ("slider", "targets"): slider_probe("targets", ["disc", "square"]),
    ("slider", "positive"): slider_probe("positive", "huge {target}"),
    ("slider", "negative"): slider_probe("negative", "tiny {target}"),
    ("slider", "neutral"): slider_probe("neutral", "a {target}"),
    ("slider", "guidance"): slider_probe("guidance", 2.5),
    ("slider", "anchors"): slider_probe("anchors", [{"prompt": "a red disc", "strength": 2}]),
    ("slider", "timesteps"): slider_probe("timesteps", [200, 800]),
    ("slider", "denoise_steps"): slider_probe("denoise_steps", 10),
    ("slider", "rank"): slider_probe("rank", 8),
    ("slider", "alpha"): slider_probe("alpha", 2.0),
    ("slider", "conv_rank"): slider_probe("conv_rank", 2),
    ("slider", "conv_alpha"): lambda fx: _slider_conv_alpha(),
    ("slider", "steps"): slider_probe("steps", 7),
    ("slider", "lr"): slider_probe("lr", 0.002),
    ("slider", "scheduler"): slider_probe("scheduler", "cosine"),
    ("slider", "warmup_steps"): slider_probe("warmup_steps", 2),
    ("slider", "batch_size"): slider_probe("batch_size", 2),
    ("slider", "resolution"): slider_probe("resolution", 64),
    ("slider", "seed"): slider_probe("seed", 9),
    ("slider", "mixed_precision"): slider_probe("mixed_precision", "bf16"),
    ("slider", "gradient_checkpointing"): slider_probe("gradient_checkpointing", True),
    ("slider", "checkpoint_every"): slider_probe("checkpoint_every", 3),
    ("slider", "resume"): slider_probe("resume", True),
    ("slider", "over"): slider_probe("over", [{"path": "b.safetensors", "weight": 0.5}]),
    ("slider", "metadata.lorabias_role"): slider_probe("metadata", {"lorabias_role": "slider"}),
    ("slider", "metadata.lorabias_over"): slider_probe("metadata", {"lorabias_over": [{"name": "c", "weight": 1}]}),
    ("slider", "output"): slider_probe("output", "/tmp/y.safetensors"),
    ("slider", "save_precision"): slider_probe("save_precision", "float"),
    ("slider", "clip_skip"): slider_probe("clip_skip", 2),
    # export
    ("export", "checkpoint"): resolves_model("export.py"),
    ("export", "lora"): _export_field("lora"),
    ("export", "to"): _export_field("to"),
    ("export", "dtype"): _export_field("dtype"),
    ("export", "metadata"): _export_field("metadata"),
}
