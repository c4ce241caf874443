"""Load a model from `builtin:…`, a single-file checkpoint or a diffusers folder, without the internet."""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..errors import E_MODEL_FORMAT, E_PICKLE_REFUSED, EngineError, bad_request
from .checkpoint_files import PICKLE_SUFFIXES, check_readable, detect_family, load_state_dict, safetensors_keys
from .configs import read_config
from .loaded import FAMILIES, LoadedModel


# Hugging Face cache entries (never downloaded: local_files_only) that hold CLIP's tokenizer files.
CLIP_TOKENIZER_REPOS = ("openai/clip-vit-large-patch14", "stable-diffusion-v1-5/stable-diffusion-v1-5")


def _state_dict_error(exc: Exception) -> str:
    text = str(exc)
    missing = text.count("Missing key") and len(text.split("Missing key(s) in state_dict:")[-1].split("Unexpected")[0].split(","))
    unexpected = "Unexpected key" in text and len(text.split("Unexpected key(s) in state_dict:")[-1].split(","))
    if missing or unexpected:
        return f"{missing or 0} tensors missing, {unexpected or 0} unexpected"
    return text.splitlines()[-1][:300]


def _check_family(family: str | None) -> None:
    if family is not None and family not in FAMILIES:
        raise EngineError(E_MODEL_FORMAT, f"unknown model family {family!r}; use one of {', '.join(FAMILIES)}")


def load_model(checkpoint: str, model_id: str, family: str | None, allow_pickle: bool,
               device: torch.device, dtype: torch.dtype) -> LoadedModel:
    _check_family(family)
    if checkpoint.startswith("builtin:"):
        from ..builtin import load_builtin
        from .tiny import tiny_model

        if family not in (None, "tiny"):
            raise bad_request(f"{checkpoint} is a tiny-family model; family {family!r} does not apply")
        components = load_builtin(checkpoint.split(":", 1)[1])
        model = tiny_model(components, model_id, checkpoint, device, dtype)
        model.info["trained"] = components["trained"]
        return model
    path = Path(checkpoint).expanduser()
    check_readable(path)
    if path.is_dir():
        return _load_diffusers_folder(path, model_id, family, device, dtype, allow_pickle)
    if path.suffix.lower() == ".safetensors":
        keys = safetensors_keys(path)
        detected = detect_family(keys, path) if family is None else family
    else:
        detected = family
    state = load_state_dict(path, allow_pickle=allow_pickle)
    if detected is None:
        detected = detect_family(state.keys(), path)
    if detected == "tiny":
        return _tiny_from_state(state, path, model_id, device, dtype)
    return _sd_from_single_file(state, detected, path, model_id, device, dtype)


def _tiny_from_state(state, path, model_id, device, dtype) -> LoadedModel:
    from .tiny import build_tiny_components, tiny_model

    components = build_tiny_components(seed=0)
    for part in ("unet", "text_encoder"):
        sub = {k[len(part) + 1:]: v for k, v in state.items() if k.startswith(part + ".")}
        try:
            components[part].load_state_dict(sub)
        except RuntimeError as exc:
            raise EngineError(E_MODEL_FORMAT, f"{path.name}: its {part} does not fit the tiny family's config "
                              f"({_state_dict_error(exc)})") from exc
    return tiny_model(components, model_id, str(path), device, dtype)


def _build_empty(cls, config):
    from accelerate import init_empty_weights

    with init_empty_weights():
        return cls(config) if not isinstance(config, dict) else cls(**config)


def _clip_tokenizers(family: str, path: Path) -> list:
    """CLIP's BPE tokenizer for SD1.5/SDXL: $LORABIAS_CLIP_TOKENIZER, else derived from the merges the engine
    carries, else a local Hugging Face cache; never downloaded."""
    from transformers import CLIPTokenizer

    from . import clip_tokenizer

    folder = os.environ.get("LORABIAS_CLIP_TOKENIZER")
    if not (folder and (Path(folder) / "vocab.json").exists()) and clip_tokenizer.BPE.exists():
        folder = str(clip_tokenizer.clip_tokenizer_files())
    tok = None
    if folder and (Path(folder) / "vocab.json").exists():
        tok = CLIPTokenizer(str(Path(folder) / "vocab.json"), str(Path(folder) / "merges.txt"), model_max_length=77)
    else:
        for repo in CLIP_TOKENIZER_REPOS:
            try:
                sub = {"subfolder": "tokenizer"} if "stable" in repo else {}
                tok = CLIPTokenizer.from_pretrained(repo, local_files_only=True, **sub)
                break
            except Exception:
                continue
    if tok is None:
        raise EngineError(E_MODEL_FORMAT, f"loading {path.name} needs the CLIP tokenizer files vocab.json and merges.txt, "
                          f"and the engine's copy ({clip_tokenizer.BPE}) is missing. Put them in a folder and set the "
                          "environment variable LORABIAS_CLIP_TOKENIZER to it (any diffusers copy of SD1.5 or SDXL has "
                          "them under tokenizer/), or reinstall the engine.")
    if family != "sdxl":
        return [tok]
    tok2 = CLIPTokenizer(tok.vocab_file, tok.merges_file, model_max_length=77, pad_token="!") \
        if hasattr(tok, "vocab_file") else tok
    return [tok, tok2]


def _sd_from_single_file(state, family, path, model_id, device, dtype) -> LoadedModel:
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import (convert_ldm_clip_checkpoint, convert_ldm_unet_checkpoint,
                                                     convert_ldm_vae_checkpoint, convert_open_clip_checkpoint)
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    tokenizers = _clip_tokenizers(family, path)
    unet_cfg, vae_cfg = read_config(family, "unet"), read_config(family, "vae")

    def materialise(module, sd, what):
        if not hasattr(module, "text_model") and any(k.startswith("text_model.") for k in sd):
            sd = {k.removeprefix("text_model."): v for k, v in sd.items()}  # transformers ≥5 CLIPTextModel
        try:
            module.load_state_dict(sd, strict=True, assign=True)
        except RuntimeError as exc:
            raise EngineError(E_MODEL_FORMAT, f"{path.name}: its {what} does not match the {family} architecture "
                              f"({_state_dict_error(exc)}); pass the right family, or check the file is a complete checkpoint") from exc
        return module.to(device=device, dtype=dtype).eval().requires_grad_(False)

    unet = materialise(_build_empty(UNet2DConditionModel, unet_cfg), convert_ldm_unet_checkpoint(state, unet_cfg), "UNet")
    vae = materialise(_build_empty(AutoencoderKL, vae_cfg), convert_ldm_vae_checkpoint(state, vae_cfg), "VAE")
    te1 = _build_empty(CLIPTextModel, CLIPTextConfig(**read_config(family, "text_encoder")))
    prefix = "conditioner.embedders.0.transformer." if family == "sdxl" else "cond_stage_model.transformer."
    te1_sd = convert_ldm_clip_checkpoint(state, remove_prefix=prefix)
    te1_sd.pop("text_model.embeddings.position_ids", None)
    encoders = [materialise(te1, te1_sd, "text encoder")]
    if family == "sdxl":
        te2 = _build_empty(CLIPTextModelWithProjection, CLIPTextConfig(**read_config("sdxl", "text_encoder_2")))
        te2_sd = convert_open_clip_checkpoint(te2, state, prefix="conditioner.embedders.1.model.")
        te2_sd.pop("text_model.embeddings.position_ids", None)
        encoders.append(materialise(te2, te2_sd, "second text encoder"))
    return LoadedModel(model_id=model_id, family=family, source=str(path), unet=unet, vae=vae, text_encoders=encoders,
                       tokenizers=tokenizers, scheduler_config=read_config(family, "scheduler"), device=device, dtype=dtype)


def _pickled_components(path: Path) -> list[Path]:
    """Weight files of a diffusers folder's components that exist only as pickles (no .safetensors beside them)."""
    found = []
    for sub in sorted(p for p in path.iterdir() if p.is_dir()):
        files = [f for f in sub.iterdir() if f.is_file()]
        if any(f.name.endswith(".safetensors") for f in files):
            continue
        found += sorted(f for f in files if f.suffix.lower() in PICKLE_SUFFIXES)
    return found


def _load_diffusers_folder(path: Path, model_id, family, device, dtype, allow_pickle: bool = False) -> LoadedModel:
    index = path / "model_index.json"
    if not index.exists():
        raise EngineError(E_MODEL_FORMAT, f"{path} is a folder without model_index.json; point to a .safetensors file "
                          "or a diffusers pipeline folder")
    pickles = _pickled_components(path)
    if pickles and not allow_pickle:
        names = ", ".join(str(p.relative_to(path)) for p in pickles)
        raise EngineError(E_PICKLE_REFUSED, f"{path.name}: {names} {'is a pickle file' if len(pickles) == 1 else 'are pickle files'}, "
                          "which can run code when loaded, so the folder was not opened. Convert the weights to "
                          ".safetensors (diffusers: pipe.save_pretrained(folder, safe_serialization=True)), or allow "
                          "pickle checkpoints (setting lorabias.allowPickle); they are then loaded with weights_only.")
    cls_name = json.loads(index.read_text()).get("_class_name", "")
    unet_cfg_path = path / "unet" / "config.json"
    unet_cfg = json.loads(unet_cfg_path.read_text()) if unet_cfg_path.exists() else {}
    if family is None:
        if "XL" in cls_name:
            family = "sdxl"
        elif unet_cfg.get("in_channels") == 3:
            family = "tiny"
        elif cls_name == "StableDiffusionPipeline":
            family = "sd15"
        else:
            raise EngineError(E_MODEL_FORMAT, f"{path}: pipeline class {cls_name!r} is not SD1.5 or SDXL; pass family")
    from diffusers import DiffusionPipeline

    try:
        # safetensors only unless pickles are allowed (then the libraries load them with weights_only)
        safe = {"use_safetensors": True} if not allow_pickle else {}
        pipe = DiffusionPipeline.from_pretrained(str(path), local_files_only=True, safety_checker=None,
                                                 requires_safety_checker=False, **safe) if family != "sdxl" else \
            DiffusionPipeline.from_pretrained(str(path), local_files_only=True, **safe)
    except Exception as exc:
        raise EngineError(E_MODEL_FORMAT, f"{path} could not be loaded as a diffusers folder: {exc}") from exc
    encoders = [pipe.text_encoder] + ([pipe.text_encoder_2] if family == "sdxl" else [])
    tokenizers = [pipe.tokenizer] + ([pipe.tokenizer_2] if family == "sdxl" else [])
    for module in (pipe.unet, pipe.vae, *encoders):
        module.to(device=device, dtype=dtype).eval().requires_grad_(False)
    return LoadedModel(model_id=model_id, family=family, source=str(path), unet=pipe.unet, vae=pipe.vae,
                       text_encoders=encoders, tokenizers=tokenizers, scheduler_config=dict(pipe.scheduler.config),
                       device=device, dtype=dtype, pixel_space=(family == "tiny"))
