"""Photos of reported problems: clean a downloaded image, make its thumbnail and perceptual hash, store it.

Phones send 3000-4000 px JPEGs with EXIF that can hold the reporter's exact GPS position and device; the
stored copy drops all metadata (after turning the pixels upright, since orientation lives in EXIF too) and is
at most ``max_px`` on its longest side. The difference hash (dHash, 64 bits) lets the duplicate check find
the same scene photographed twice even after WeChat recompresses it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

HASH_SIDE = 8
# Decoding is where a small file costs a worker seconds and gigabytes (a 9000×9000 PNG is 79 KB): no phone
# photo has more than ~50 Mpx, so anything over this is refused from its header, before decoding.
MAX_PIXELS = 40_000_000


class PhotoError(Exception):
    """The bytes are not an image we can read."""


@dataclass(frozen=True)
class CleanPhoto:
    jpeg: bytes
    thumbnail: bytes
    phash: str
    width: int
    height: int


def difference_hash(img: Image.Image) -> str:
    """64-bit dHash as 16 hex digits: each bit says whether a pixel is brighter than its right neighbour."""
    small = img.convert("L").resize((HASH_SIDE + 1, HASH_SIDE), Image.Resampling.LANCZOS)
    pixels = small.tobytes()  # one byte per pixel in mode L, row by row
    bits = 0
    for row in range(HASH_SIDE):
        for col in range(HASH_SIDE):
            left = pixels[row * (HASH_SIDE + 1) + col]
            right = pixels[row * (HASH_SIDE + 1) + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return f"{bits:016x}"


def hash_distance(a: str, b: str) -> int:
    """How many of the 64 bits differ."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True)  # no exif= argument: nothing of the original's
    return buf.getvalue()


def clean(data: bytes, max_px: int = 2048, thumb_px: int = 320, max_pixels: int = MAX_PIXELS) -> CleanPhoto:
    try:
        with Image.open(io.BytesIO(data)) as original:
            width, height = original.size  # read from the header: nothing decoded yet
            if width * height > max_pixels:
                raise PhotoError(f"{width}×{height} is over {max_pixels} pixels")
            original.load()
            img = ImageOps.exif_transpose(original)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise PhotoError(f"not a readable image: {exc}") from exc
    img = img.convert("RGB")  # also drops PNG text chunks and palettes
    img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    thumb = img.copy()
    thumb.thumbnail((thumb_px, thumb_px), Image.Resampling.LANCZOS)
    return CleanPhoto(_jpeg(img, 85), _jpeg(thumb, 80), difference_hash(img), img.width, img.height)


class PhotoStore(Protocol):
    """Where photo files live: a local directory by default; an object store would implement the same."""

    def put(self, name: str, data: bytes) -> str: ...

    def get(self, ref: str) -> bytes: ...


class LocalPhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, name: str, data: bytes) -> str:
        """Write atomically (temp file, rename) and return the reference kept in the database."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return name

    def get(self, ref: str) -> bytes:
        path = (self.root / ref).resolve()
        if self.root.resolve() not in path.parents:
            raise PhotoError(f"photo reference outside the store: {ref}")
        return path.read_bytes()
