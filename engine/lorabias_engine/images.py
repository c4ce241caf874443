"""Datasets in (image files + captions) and PNGs out; every output written to a temporary name, then renamed."""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .decode import open_rgb
from .errors import E_MODEL_FORMAT, E_NOT_FOUND, EngineError, bad_request


@dataclass
class Dataset:
    paths: list[str]
    captions: list[str]
    pixels: torch.Tensor  # (N, 3, H, W) in [-1, 1]
    hashes: list[str]


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_image(path: str | Path, width: int, height: int | None = None) -> torch.Tensor:
    """RGB image → resized (shorter side) and centre-cropped to width×height, (3, H, W) in [-1, 1]."""
    from PIL import Image, UnidentifiedImageError

    height = height or width
    path = Path(path)
    if not path.exists():
        raise EngineError(E_NOT_FOUND, f"image not found: {path} — check the dataset folder")
    try:
        with open_rgb(path) as im:
            scale = max(width / im.width, height / im.height)
            im = im.resize((max(width, round(im.width * scale)), max(height, round(im.height * scale))), Image.BICUBIC)
            left, top = (im.width - width) // 2, (im.height - height) // 2
            im = im.crop((left, top, left + width, top + height))
            arr = np.asarray(im, dtype=np.float32) / 127.5 - 1.0
    except (UnidentifiedImageError, OSError) as exc:
        raise EngineError(E_MODEL_FORMAT, f"cannot read image {path}: {exc}; re-save it as PNG or JPEG") from exc
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()


def load_dataset(images: list, captions: list | None, resolution: int) -> Dataset:
    if not images or not all(isinstance(p, str) for p in images):
        raise bad_request("train needs params.images: a non-empty list of image paths")
    if captions is not None and len(captions) != len(images):
        raise bad_request(f"{len(captions)} captions for {len(images)} images; give one caption per image")
    texts = []
    for i, path in enumerate(images):
        if captions is not None:
            texts.append(str(captions[i]))
            continue
        txt = Path(path).with_suffix(".txt")
        texts.append(txt.read_text(encoding="utf-8").replace("\x00", "").strip() if txt.exists() else "")
    pixels = torch.stack([load_image(p, resolution) for p in images])
    return Dataset(list(images), texts, pixels, [file_sha256(p) for p in images])


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [0, 1] → (H, W, 3) uint8."""
    return (image.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def _umask() -> int:
    """The process umask (reading it means setting it; set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output_mode(path: Path) -> int:
    """The mode a written file gets: the file's own when it replaces one, else what open() would give (0o666 less
    the umask). mkstemp's 0o600 would hide exports from A1111/ComfyUI running as another user."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def atomic_write(path: str | Path, write) -> Path:
    """Call write(tmp_path) on a temporary file beside `path`, then rename it into place (with the mode a plain
    write would give it)."""
    path = Path(path)
    if not path.parent.exists():
        raise EngineError(E_NOT_FOUND, f"output folder does not exist: {path.parent}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, output_mode(path))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_png(image: torch.Tensor, path: str | Path) -> Path:
    from PIL import Image

    return atomic_write(path, lambda tmp: Image.fromarray(to_uint8(image)).save(tmp, format="PNG"))
