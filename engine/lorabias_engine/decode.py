"""Decoding a training image the way the dataset scan (sharp) does, so what the scan shows is what trains:
EXIF orientation applied, 16-bit images scaled to 8 bits (not clipped to white), CMYK and other embedded colour
profiles converted to sRGB; a CMYK image without a profile and an image over MAX_PIXELS are refused by name.
The scan (extension/core/dataset/images.ts) reports the same conversions and refusals before training."""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from .errors import E_MODEL_FORMAT, EngineError

#: The largest image read (PIL's own decompression-bomb threshold, about 9459×9459); the scan refuses the same.
MAX_PIXELS = 89_478_485


def _refuse(path: Path, why: str) -> EngineError:
    return EngineError(E_MODEL_FORMAT, f"{path}: {why}")


def open_rgb(path: str | Path):
    """The image at `path` as an 8-bit sRGB PIL image, oriented as its EXIF says."""
    from PIL import Image, ImageCms, ImageOps

    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse(path, f"is larger than {MAX_PIXELS:,} pixels: scale it down (training resizes it anyway)")
    with im:
        if im.width * im.height > MAX_PIXELS:
            raise _refuse(path, f"is {im.width}×{im.height}, larger than {MAX_PIXELS:,} pixels: scale it down "
                          "(training resizes it anyway)")
        icc = im.info.get("icc_profile")
        if im.mode == "CMYK" and not icc:
            raise _refuse(path, "is a CMYK image without a colour profile, so its colours cannot be known: save it as "
                          "sRGB (or with its CMYK profile embedded)")
        im = ImageOps.exif_transpose(im)
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit grey: scale to 8 bits as sharp does (convert("RGB") would clip every value above 255 to white)
            arr = np.asarray(im, dtype=np.float64)
            im = Image.fromarray(np.clip(np.round(arr / 257.0), 0, 255).astype(np.uint8), "L")
        if icc and im.mode in ("RGB", "CMYK"):
            try:
                src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                im = ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
            except (ImageCms.PyCMSError, OSError) as exc:
                if im.mode == "CMYK":
                    raise _refuse(path, f"has a CMYK colour profile that cannot be read ({exc}): save it as sRGB") from exc
        return im.convert("RGB")
