"""What the UNet predicts (epsilon or v) and whether its noise schedule reaches zero SNR: declared in the recipe,
else detected from the checkpoint, else the family's scheduler config. The result is written into the model's
scheduler config, which training (targets, min-SNR weights), fidelity and sampling all build their schedulers
from, so the three always agree.

Detection follows what the UIs read: ComfyUI treats a `v_pred` tensor key in an SDXL checkpoint as v-prediction
and a `ztsnr` key beside it as zero terminal SNR (NoobAI-XL v-pred carries both); sd-scripts' model spec writes
`modelspec.prediction_type` (`v` or `epsilon`); diffusers folders carry it in scheduler/scheduler_config.json.
Zero terminal SNR rescales the betas as Lin et al. 2024 (diffusers' `rescale_betas_zero_snr`, sd-scripts'
`--zero_terminal_snr`).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import bad_request

PREDICTION_TYPES = ("epsilon", "v_prediction")
_SPEC_VALUES = {"v": "v_prediction", "v_prediction": "v_prediction", "epsilon": "epsilon", "eps": "epsilon"}


def read_declared(params: dict) -> tuple[str | None, bool | None]:
    prediction = params.get("prediction_type")
    if prediction is not None and prediction not in PREDICTION_TYPES:
        raise bad_request(f"prediction_type must be one of {', '.join(PREDICTION_TYPES)}, got {prediction!r}")
    ztsnr = params.get("zero_terminal_snr")
    if ztsnr is not None and not isinstance(ztsnr, bool):
        raise bad_request(f"zero_terminal_snr must be true or false, got {ztsnr!r}")
    return prediction, ztsnr


def detect(checkpoint: str) -> dict:
    """{prediction_type?, zero_terminal_snr?, how} from a single-file checkpoint's keys and metadata."""
    path = Path(checkpoint).expanduser()
    if checkpoint.startswith("builtin:") or path.suffix.lower() != ".safetensors" or not path.is_file():
        return {}
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        keys = set(fh.keys())
        meta = fh.metadata() or {}
    found: dict = {}
    if "v_pred" in keys:
        found = {"prediction_type": "v_prediction", "how": "the checkpoint's `v_pred` key"}
    else:
        for key in ("modelspec.prediction_type", "prediction_type"):
            if meta.get(key, "").lower() in _SPEC_VALUES:
                found = {"prediction_type": _SPEC_VALUES[meta[key].lower()], "how": f"the checkpoint's {key} metadata"}
                break
    if "ztsnr" in keys:
        found["zero_terminal_snr"] = True
    elif str(meta.get("ss_zero_terminal_snr", "")).lower() == "true":
        found["zero_terminal_snr"] = True
    return found


def apply_prediction(scheduler_config: dict, checkpoint: str, params: dict) -> tuple[dict, dict]:
    """The scheduler config with the prediction type and zero-SNR rescaling settled, and how each was decided."""
    declared_type, declared_ztsnr = read_declared(params)
    found = detect(checkpoint)
    config = dict(scheduler_config)
    if declared_type:
        prediction, how = declared_type, "set in the recipe"
    elif "prediction_type" in found:
        prediction, how = found["prediction_type"], f"detected from {found['how']}"
    else:
        prediction, how = config.get("prediction_type", "epsilon"), "the model's scheduler config"
    if declared_ztsnr is not None:
        ztsnr = declared_ztsnr
    else:
        ztsnr = bool(found.get("zero_terminal_snr", config.get("rescale_betas_zero_snr", False)))
    if ztsnr and prediction != "v_prediction":
        raise bad_request(f"zero_terminal_snr needs prediction_type: v_prediction (the model's is {prediction}, {how}): "
                          "at zero SNR the noisy image is pure noise, so a noise-predicting model cannot recover the "
                          "image and sampling divides by zero. Set prediction_type: v_prediction, or drop zero_terminal_snr")
    config["prediction_type"] = prediction
    config["rescale_betas_zero_snr"] = ztsnr
    if ztsnr:
        config["timestep_spacing"] = "trailing"  # so sampling starts at the zero-SNR step (Lin et al. 2024, §3.3)
    return config, {"prediction_type": prediction, "prediction_type_source": how, "zero_terminal_snr": ztsnr}
