"""A separate VAE file (`model.vae`) used instead of the checkpoint's own, as A1111's "SD VAE" setting does.

The file is a single-file `.safetensors` in the original (LDM) layout — what A1111/ComfyUI users download, keys
`encoder.down.0.block.0…`, optionally under `first_stage_model.` — or in diffusers' layout (`encoder.down_blocks…`).
It must fit the loaded model's VAE architecture (same config); otherwise it is refused with what did not fit.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..errors import E_MODEL_FORMAT, EngineError, bad_request
from .checkpoint_files import load_state_dict
from .loaded import LoadedModel


def vae_state_dict(path: Path, config: dict, allow_pickle: bool = False) -> dict[str, torch.Tensor]:
    """The file's VAE weights under diffusers' AutoencoderKL names."""
    from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

    state = load_state_dict(path, allow_pickle=allow_pickle, what="VAE file")
    if any(k.startswith(("encoder.down_blocks.", "decoder.up_blocks.")) for k in state):
        return state  # diffusers layout already
    if not any(".down.0." in k or k.startswith(("encoder.", "first_stage_model.")) for k in state):
        raise EngineError(E_MODEL_FORMAT, f"{path.name} holds no VAE weights lorabias recognises (first keys: "
                          f"{', '.join(list(state)[:3]) or 'none'}); give a VAE .safetensors file")
    return convert_ldm_vae_checkpoint(state, config)


def use_vae_file(model: LoadedModel, path: str, allow_pickle: bool = False) -> None:
    """Replace `model.vae` with one built from `path` (same config, weights from the file)."""
    from diffusers import AutoencoderKL

    if model.pixel_space or model.vae is None:
        raise bad_request(f"the {model.family} family has no VAE (it works on pixels); remove `vae:` from the model cell")
    file = Path(path).expanduser()
    config = dict(model.vae.config)
    sd = vae_state_dict(file, config, allow_pickle)
    vae = AutoencoderKL.from_config(config)
    try:
        vae.load_state_dict(sd, strict=True)
    except RuntimeError as exc:
        text = str(exc).splitlines()
        raise EngineError(E_MODEL_FORMAT, f"{file.name} does not fit this {model.family} model's VAE "
                          f"({text[1][:200] if len(text) > 1 else text[0][:200]}); is it a VAE for another base model?") from exc
    model.vae = vae.to(device=model.device, dtype=model.dtype).eval().requires_grad_(False)
    model.info["vae"] = str(file)
