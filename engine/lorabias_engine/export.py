"""Writing LoRA files: kohya keys, sd-scripts' ss_* metadata, and lorabias provenance (recipe hash, bias LoRAs with
hashes and multipliers, dataset hashes) that no other tool records."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import torch

from .errors import EngineError, bad_request
from .finite import check_lora_tensors
from .images import atomic_write, file_sha256
from .lora import read_lora_file
from .models.checkpoint_files import check_readable, safetensors_keys
from .params import choice, get

BASE_MODEL_VERSION = {"sd15": "sd_v1", "sdxl": "sdxl_base_v1-0", "tiny": "lorabias_tiny"}
MODELSPEC_ARCH = {"sd15": "stable-diffusion-v1/lora", "sdxl": "stable-diffusion-xl-v1-base/lora", "tiny": "lorabias-tiny/lora"}
# sd-scripts (library/sai_model_spec.py): a LoRA for SDXL is "sgm"-style (Stability's generative-models), one for
# SD1.x is "diffusers".
MODELSPEC_IMPLEMENTATION = {"sd15": "diffusers", "sdxl": "https://github.com/Stability-AI/generative-models",
                            "tiny": "lorabias"}
MODELSPEC_VERSION = "1.0.1"
EXPORT_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}
DEFAULT_EXPORT_DTYPE = "fp16"  # what sd-scripts saves


def model_hashes(tensors: dict[str, torch.Tensor], metadata: dict) -> tuple[str, str]:
    """sd-scripts' (and A1111's) `sshs_model_hash` and `sshs_legacy_hash` of a LoRA: the file is serialised with only
    its `ss_*` metadata (other metadata may change without changing the model); the model hash is the sha256 of
    the bytes after the safetensors header, the legacy hash the first 8 hex digits of the sha256 of the 64 KiB at
    offset 1 MiB of those bytes (an empty read for files under 1 MiB, as there)."""
    from safetensors.torch import save

    data = save(tensors, {k: str(v) for k, v in metadata.items() if k.startswith("ss_")})
    header_len = int.from_bytes(data[:8], "little")
    return hashlib.sha256(data[8 + header_len:]).hexdigest(), hashlib.sha256(data[0x100000:0x110000]).hexdigest()[:8]


def _v_prediction(model) -> bool:
    return model.scheduler_config.get("prediction_type", "epsilon") == "v_prediction"


def modelspec(family: str, title: str, resolution: int, finished_at: float, prediction_type: str,
              clip_skip: int | None) -> dict:
    """The `modelspec.*` fields ModelSpec 1.0.1 requires (and those sd-scripts adds for a LoRA)."""
    meta = {
        "modelspec.sai_model_spec": MODELSPEC_VERSION,
        "modelspec.architecture": MODELSPEC_ARCH[family],
        "modelspec.implementation": MODELSPEC_IMPLEMENTATION[family],
        "modelspec.title": title,
        "modelspec.resolution": f"{resolution}x{resolution}",
        "modelspec.date": dt.datetime.fromtimestamp(int(finished_at), dt.timezone.utc).replace(tzinfo=None).isoformat(),
        "modelspec.prediction_type": "v" if prediction_type == "v_prediction" else "epsilon",
    }
    if clip_skip is not None:
        meta["modelspec.encoder_layer"] = str(clip_skip)
    return meta


def training_metadata(cfg, model, data, steps_done: int, started_at: float, finished_at: float, bias_hashes: list[str],
                      prediction_type: str = "epsilon") -> dict:
    tag_frequency: dict[str, int] = {}
    for caption in data.captions:
        for tag in (t.strip() for t in caption.split(",")):
            if tag:
                tag_frequency[tag] = tag_frequency.get(tag, 0) + 1
    meta = {
        "ss_network_module": "networks.lora",
        "ss_network_dim": str(cfg.rank),
        "ss_network_alpha": str(cfg.alpha),
        "ss_network_args": json.dumps({"conv_dim": str(cfg.conv_rank), "conv_alpha": str(cfg.conv_alpha)} if cfg.conv_rank else {}),
        "ss_base_model_version": BASE_MODEL_VERSION[model.family],
        "ss_v2": "False",  # sd-scripts' flag for the SD2 architecture, which lorabias does not train
        "ss_v_parameterization": str(_v_prediction(model)),
        "ss_zero_terminal_snr": str(bool(model.scheduler_config.get("rescale_betas_zero_snr", False))),
        "ss_sd_model_name": Path(model.source).name,
        "ss_resolution": f"({cfg.resolution}, {cfg.resolution})",
        "ss_learning_rate": str(cfg.lr),
        "ss_unet_lr": str(cfg.lr),
        "ss_text_encoder_lr": str(cfg.lr) if cfg.train_text_encoder else "None",
        "ss_network_train_unet_only": str(not cfg.train_text_encoder),
        "ss_lr_scheduler": cfg.scheduler,
        "ss_lr_warmup_steps": str(cfg.warmup_steps),
        "ss_max_train_steps": str(cfg.steps),
        "ss_steps": str(steps_done),
        "ss_seed": str(cfg.seed),
        "ss_batch_size_per_device": str(cfg.batch_size),
        "ss_num_train_images": str(len(data.paths)),
        "ss_mixed_precision": cfg.mixed_precision,
        "ss_gradient_checkpointing": str(cfg.gradient_checkpointing),
        "ss_noise_offset": str(cfg.noise_offset or "None"),
        "ss_min_snr_gamma": str(cfg.min_snr_gamma),
        "ss_optimizer": "torch.optim.AdamW(weight_decay=0.01)",
        "ss_cache_latents": str(cfg.cache),
        "ss_output_name": Path(cfg.output).stem,
        "ss_training_comment": "trained by lorabias (bias then train)",
        "ss_clip_skip": str(cfg.clip_skip) if cfg.clip_skip else "None",
        "ss_training_started_at": str(started_at),
        "ss_training_finished_at": str(finished_at),
        "ss_tag_frequency": json.dumps({"dataset": tag_frequency}),
        "ss_dataset_dirs": json.dumps({str(Path(p).parent): {"n_repeats": 1, "img_count": 1} for p in data.paths}),
        **modelspec(model.family, Path(cfg.output).stem, cfg.resolution, finished_at, prediction_type, cfg.clip_skip),
        "lorabias_engine": "lorabias_engine",
        "lorabias_family": model.family,
        "lorabias_bias_loras": json.dumps([{"path": str(b["path"]), "sha256": h, "multiplier": float(b.get("weight", 1.0))}
                                           for b, h in zip(cfg.over, bias_hashes)]),
        "lorabias_datasets": json.dumps([{"path": p, "sha256": h} for p, h in zip(data.paths, data.hashes)]),
        "lorabias_train_seconds": f"{finished_at - started_at:.3f}",
    }
    for key, value in cfg.metadata.items():
        meta[f"lorabias_{key}" if not key.startswith(("ss_", "lorabias_", "modelspec.")) else key] = \
            value if isinstance(value, str) else json.dumps(value)
    return meta


def write_lora(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict) -> Path:
    from safetensors.torch import save_file

    """Writes atomically; sets `sshs_model_hash`/`sshs_legacy_hash` in `metadata` (the caller's dict) first."""
    metadata["sshs_model_hash"], metadata["sshs_legacy_hash"] = model_hashes(tensors, metadata)
    return atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={k: str(v) for k, v in metadata.items()}))


def is_lora_file(path: Path) -> bool:
    """A .safetensors file whose tensor names are LoRA names (kohya, diffusers/PEFT or LyCORIS)."""
    import re

    try:
        keys = safetensors_keys(path)
    except EngineError:
        return False
    return any(re.search(r"(^|[._])lora[._]", k, re.IGNORECASE) for k in keys)


def refuse_to_replace(dst: Path) -> None:
    """An export replaces only a LoRA file: never a folder, a checkpoint or any other file."""
    if dst.is_dir():
        raise bad_request(f"{dst} is a folder; `to:` names the file to write (e.g. {dst / 'slider.safetensors'})")
    if (dst.exists() or dst.is_symlink()) and not (dst.is_file() and is_lora_file(dst)):
        raise bad_request(f"{dst} already exists and is not a LoRA file, so it was not replaced; choose another "
                          "name, or move that file away")


def export(params: dict, ctx, registry) -> dict:
    """Copy a trained LoRA to `to`, adding provenance metadata; the tensors are already kohya-keyed."""
    from safetensors import safe_open

    src = Path(get(params, "lora", str))
    dst = Path(get(params, "to", str))
    dtype = choice(params, "dtype", tuple(EXPORT_DTYPES), DEFAULT_EXPORT_DTYPE)
    if dst.suffix != ".safetensors" or dst.name == ".safetensors":
        raise bad_request(f"params.to must be a file name ending in .safetensors, got {str(dst)!r}")
    refuse_to_replace(dst)
    check_readable(src, "LoRA file")
    safetensors_keys(src)
    with safe_open(str(src), framework="pt") as fh:
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
        metadata = dict(fh.metadata() or {})
    check_lora_tensors(tensors, src.name)
    if not any(k.startswith("lora_") for k in tensors):
        model = registry.resolve(params)  # diffusers-format input: convert with the model's layout
        tensors, _ = read_lora_file(src, model)
    tensors = {k: v.to(EXPORT_DTYPES[dtype]) for k, v in tensors.items()}
    provenance = get(params, "metadata", dict, {})
    for key, value in provenance.items():
        name = key if key.startswith(("ss_", "lorabias_", "modelspec.")) else f"lorabias_{key}"
        metadata[name] = value if isinstance(value, str) else json.dumps(value)
    metadata["lorabias_source_sha256"] = file_sha256(src)
    metadata["lorabias_export_dtype"] = dtype
    if "modelspec.title" in metadata and "ss_output_name" in provenance:
        metadata["modelspec.title"] = str(provenance["ss_output_name"])
    dst.parent.mkdir(parents=True, exist_ok=True)
    write_lora(dst, tensors, metadata)
    modules = sorted({k.split(".", 1)[0] for k in tensors})
    return {"path": str(dst), "keys": len(tensors), "modules": len(modules), "sha256": file_sha256(dst), "dtype": dtype,
            "sshs_model_hash": metadata["sshs_model_hash"]}
