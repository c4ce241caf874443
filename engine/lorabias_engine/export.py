"""Writing LoRA files: kohya keys, sd-scripts' ss_* metadata, and lorabias provenance (recipe hash, bias LoRAs with
hashes and multipliers, dataset hashes) that no other tool records."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import torch

from .errors import bad_request
from .images import atomic_write, file_sha256
from .lora import read_lora_file
from .models.checkpoint_files import check_readable, safetensors_keys
from .params import get

BASE_MODEL_VERSION = {"sd15": "sd_v1", "sdxl": "sdxl_base_v1-0", "tiny": "lorabias_tiny"}
MODELSPEC_ARCH = {"sd15": "stable-diffusion-v1/lora", "sdxl": "stable-diffusion-xl-v1-base/lora", "tiny": "lorabias-tiny/lora"}


def _now() -> str:
    return str(dt.datetime.now(dt.timezone.utc).timestamp())


def model_hashes(tensors: dict[str, torch.Tensor]) -> str:
    """sd-scripts' sshs_model_hash: sha256 of the safetensors payload without metadata."""
    from safetensors.torch import save

    return hashlib.sha256(save(tensors)).hexdigest()


def _v_prediction(model) -> bool:
    return model.scheduler_config.get("prediction_type", "epsilon") == "v_prediction"


def training_metadata(cfg, model, data, steps_done: int, seconds: float, bias_hashes: list[str]) -> dict:
    tag_frequency: dict[str, int] = {}
    for caption in data.captions:
        for tag in (t.strip() for t in caption.split(",")):
            if tag:
                tag_frequency[tag] = tag_frequency.get(tag, 0) + 1
    meta = {
        "ss_network_module": "networks.lora",
        "ss_network_dim": str(cfg.rank),
        "ss_network_alpha": str(cfg.alpha),
        "ss_network_args": json.dumps({"conv_dim": str(cfg.rank), "conv_alpha": str(cfg.alpha)} if cfg.train_conv else {}),
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
        "ss_training_started_at": _now(),
        "ss_training_finished_at": _now(),
        "ss_tag_frequency": json.dumps({"dataset": tag_frequency}),
        "ss_dataset_dirs": json.dumps({str(Path(p).parent): {"n_repeats": 1, "img_count": 1} for p in data.paths}),
        "modelspec.sai_model_spec": "1.0.0",
        "modelspec.architecture": MODELSPEC_ARCH[model.family],
        "modelspec.implementation": "https://github.com/Stability-AI/generative-models" if model.family != "tiny" else "lorabias",
        "modelspec.title": Path(cfg.output).stem,
        "modelspec.prediction_type": "v" if _v_prediction(model) else "epsilon",  # sd-scripts' model spec values
        "lorabias_engine": "lorabias_engine",
        "lorabias_family": model.family,
        "lorabias_bias_loras": json.dumps([{"path": str(b["path"]), "sha256": h, "multiplier": float(b.get("weight", 1.0))}
                                           for b, h in zip(cfg.over, bias_hashes)]),
        "lorabias_datasets": json.dumps([{"path": p, "sha256": h} for p, h in zip(data.paths, data.hashes)]),
        "lorabias_train_seconds": f"{seconds:.3f}",
    }
    for key, value in cfg.metadata.items():
        meta[f"lorabias_{key}" if not key.startswith(("ss_", "lorabias_", "modelspec.")) else key] = \
            value if isinstance(value, str) else json.dumps(value)
    return meta


def write_lora(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict) -> Path:
    from safetensors.torch import save_file

    metadata = dict(metadata)
    metadata["sshs_model_hash"] = model_hashes(tensors)
    return atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={k: str(v) for k, v in metadata.items()}))


def export(params: dict, ctx, registry) -> dict:
    """Copy a trained LoRA to `to`, adding provenance metadata; the tensors are already kohya-keyed."""
    from safetensors import safe_open

    src = Path(get(params, "lora", str))
    dst = Path(get(params, "to", str))
    if dst.suffix != ".safetensors":
        raise bad_request(f"params.to must end in .safetensors, got {str(dst)!r}")
    check_readable(src, "LoRA file")
    safetensors_keys(src)
    with safe_open(str(src), framework="pt") as fh:
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
        metadata = dict(fh.metadata() or {})
    if not any(k.startswith("lora_") for k in tensors):
        model = registry.resolve(params)  # diffusers-format input: convert with the model's layout
        tensors, _ = read_lora_file(src, model)
    provenance = get(params, "metadata", dict, {})
    for key, value in provenance.items():
        name = key if key.startswith(("ss_", "lorabias_", "modelspec.")) else f"lorabias_{key}"
        metadata[name] = value if isinstance(value, str) else json.dumps(value)
    metadata["lorabias_source_sha256"] = file_sha256(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    write_lora(dst, tensors, metadata)
    modules = sorted({k.split(".", 1)[0] for k in tensors})
    return {"path": str(dst), "keys": len(tensors), "modules": len(modules), "sha256": file_sha256(dst)}
