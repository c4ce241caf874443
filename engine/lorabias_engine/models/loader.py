"""Load a model from `builtin:…`, a single-file checkpoint or a diffusers folder, without the internet."""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..errors import E_MODEL_FORMAT, E_PICKLE_REFUSED, EngineError, bad_request
from .checkpoint_files import PICKLE_SUFFIXES, TensorSource, check_readable, detect_family
from .configs import read_config
from .loaded import FAMILIES, LoadedModel


# Hugging Face cache entries (never downloaded: local_files_only) that hold CLIP's tokenizer files.
CLIP_TOKENIZER_REPOS = ("openai/clip-vit-large-patch14", "stable-diffusion-v1-5/stable-diffusion-v1-5")


def _state_dict_error(exc: Exception) -> str:
    text = str(exc)
    missing = text.count("Missing key") and text.split("Missing key(s) in state_dict:")[-1].split("Unexpected")[0].split(",")
    unexpected = "Unexpected key" in text and text.split("Unexpected key(s) in state_dict:")[-1].split(",")
    if missing or unexpected:
        example = (missing or unexpected)[0].strip().strip('".').split('"')[-1]
        return (f"{len(missing) if missing else 0} tensors missing, {len(unexpected) if unexpected else 0} unexpected, "
                f"e.g. {example}")
    if "size mismatch" in text:
        first = next(line for line in text.splitlines() if "size mismatch" in line)
        return first.strip()[:300]
    return text.splitlines()[-1][:300]


def _check_family(family: str | None) -> None:
    if family is not None and family not in FAMILIES:
        raise EngineError(E_MODEL_FORMAT, f"unknown model family {family!r}; use one of {', '.join(FAMILIES)}")


def load_model(checkpoint: str, model_id: str, family: str | None, allow_pickle: bool,
               device: torch.device, dtype: torch.dtype, progress=None) -> LoadedModel:
    """`progress(done_bytes, total_bytes, what)` is called while a single file is read."""
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
    # Read in the final precision on the CPU, component by component (see TensorSource).
    source = TensorSource(path, dtype, allow_pickle=allow_pickle)
    detected = _family_of(source.keys(), path, family)
    prefixes = COMPONENT_PREFIXES[detected]
    total = source.nbytes(tuple(p for group in prefixes.values() for p in group))
    if progress is not None:
        source.progress = lambda done, what: progress(done, total, what)
    if detected == "tiny":
        return _tiny_from_state(source, path, model_id, device, dtype)
    return _sd_from_single_file(source, detected, path, model_id, device, dtype)


# What each family's single file must hold, by component (EMA copies and other extras are never read).
COMPONENT_PREFIXES = {
    "tiny": {"UNet": ("unet.",), "text encoder": ("text_encoder.",)},
    "sd15": {"UNet": ("model.diffusion_model.",), "VAE": ("first_stage_model.",),
             "text encoder": ("cond_stage_model.transformer.",)},
    "sdxl": {"UNet": ("model.diffusion_model.",), "VAE": ("first_stage_model.",),
             "text encoder": ("conditioner.embedders.0.transformer.",),
             "second text encoder": ("conditioner.embedders.1.model.",)},
}
FAMILY_NAMES = {"tiny": "tiny", "sd15": "SD1.5", "sdxl": "SDXL"}


def _family_of(keys: list[str], path: Path, family: str | None) -> str:
    """The family the file's keys say; a family given that the keys contradict is refused, and a file
    missing a whole component (no VAE, no text encoder) says which one and under which key names."""
    try:
        detected = detect_family(keys, path)
    except EngineError:
        if family is None:
            raise
        detected = None
    if family is not None and detected is not None and detected != family:
        raise EngineError(E_MODEL_FORMAT, f"{path.name} is an {FAMILY_NAMES[detected]} checkpoint (by its tensor names), "
                          f"but family: {family} was given; set family: {detected} or leave family out")
    chosen = family or detected
    for what, prefixes in COMPONENT_PREFIXES[chosen].items():
        if not any(k.startswith(prefixes) for k in keys):
            raise EngineError(E_MODEL_FORMAT, f"{path.name} has no {what} (no tensors named {prefixes[0]}…), which an "
                              f"{FAMILY_NAMES[chosen]} checkpoint needs; it may be incomplete or a part-only file "
                              f"(e.g. a UNet alone) — use a full checkpoint with the {what} baked in")
    return chosen


def _tiny_from_state(source, path, model_id, device, dtype) -> LoadedModel:
    from .tiny import build_tiny_components, tiny_model

    components = build_tiny_components(seed=0)
    for part, what in (("unet", "UNet"), ("text_encoder", "text encoder")):
        sub = {k[len(part) + 1:]: v for k, v in source.take((part + ".",), what).items()}
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


def _sd_from_single_file(source, family, path, model_id, device, dtype) -> LoadedModel:
    """Each component is read, converted to diffusers' names and moved to the device before the next is read,
    so the process never holds more than the model plus one component's tensors on the CPU."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import (convert_ldm_clip_checkpoint, convert_ldm_unet_checkpoint,
                                                     convert_ldm_vae_checkpoint, convert_open_clip_checkpoint)
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    tokenizers = _clip_tokenizers(family, path)
    unet_cfg, vae_cfg = read_config(family, "unet"), read_config(family, "vae")
    parts = COMPONENT_PREFIXES[family]

    def materialise(module, sd, what):
        if not hasattr(module, "text_model") and any(k.startswith("text_model.") for k in sd):
            sd = {k.removeprefix("text_model."): v for k, v in sd.items()}  # transformers ≥5 CLIPTextModel
        try:
            module.load_state_dict(sd, strict=True, assign=True)
        except RuntimeError as exc:
            raise EngineError(E_MODEL_FORMAT, f"{path.name}: its {what} does not match the {FAMILY_NAMES[family]} "
                              f"architecture ({_state_dict_error(exc)}); pass the right family, or check the file is a "
                              "complete checkpoint") from exc
        sd.clear()
        return module.to(device=device, dtype=dtype).eval().requires_grad_(False)

    unet = materialise(_build_empty(UNet2DConditionModel, unet_cfg),
                       convert_ldm_unet_checkpoint(source.take(parts["UNet"], "UNet"), unet_cfg), "UNet")
    vae = materialise(_build_empty(AutoencoderKL, vae_cfg),
                      convert_ldm_vae_checkpoint(source.take(parts["VAE"], "VAE"), vae_cfg), "VAE")
    te1 = _build_empty(CLIPTextModel, CLIPTextConfig(**read_config(family, "text_encoder")))
    prefix = parts["text encoder"][0]
    te1_sd = convert_ldm_clip_checkpoint(source.take(parts["text encoder"], "text encoder"), remove_prefix=prefix)
    te1_sd.pop("text_model.embeddings.position_ids", None)
    encoders = [materialise(te1, te1_sd, "text encoder")]
    if family == "sdxl":
        te2 = _build_empty(CLIPTextModelWithProjection, CLIPTextConfig(**read_config("sdxl", "text_encoder_2")))
        te2_sd = convert_open_clip_checkpoint(te2, source.take(parts["second text encoder"], "second text encoder"),
                                              prefix=parts["second text encoder"][0])
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
                          "pickle checkpoints with `allow_pickle: true` in the model cell; they are then loaded with weights_only.")
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
