"""Photo cleaning: metadata gone, orientation applied, size limited, and the hash tells scenes apart."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.issues.photo_files import LocalPhotoStore, PhotoError, clean, hash_distance
from bot.wechat.fake_api import sample_jpeg


def _jpeg(img: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", **kw)
    return buf.getvalue()


def test_exif_is_stripped_and_the_long_side_limited() -> None:
    original = sample_jpeg(3000, 2000, seed="a")
    assert Image.open(io.BytesIO(original)).getexif()  # the phone's GPS and model are there
    photo = clean(original, max_px=2048, thumb_px=320)
    stored = Image.open(io.BytesIO(photo.jpeg))
    assert stored.size == (2048, 1365) == (photo.width, photo.height)
    assert not stored.getexif() and "exif" not in stored.info
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) == 320


def test_a_small_photo_is_not_enlarged() -> None:
    photo = clean(sample_jpeg(800, 600, seed="b"))
    assert (photo.width, photo.height) == (800, 600)


def test_orientation_from_exif_is_applied_before_it_is_dropped() -> None:
    img = Image.new("RGB", (400, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view: phones store portrait photos this way
    photo = clean(_jpeg(img, exif=exif))
    assert (photo.width, photo.height) == (200, 400)


def test_the_same_scene_recompressed_is_near_and_another_scene_far() -> None:
    scene = sample_jpeg(seed="scene")
    smaller = _jpeg(Image.open(io.BytesIO(scene)).resize((1200, 800)), quality=35)
    same = hash_distance(clean(scene).phash, clean(smaller).phash)
    other = hash_distance(clean(scene).phash, clean(sample_jpeg(seed="other")).phash)
    assert same <= 6 < 16 <= other


def test_not_an_image_is_a_clear_error() -> None:
    with pytest.raises(PhotoError):
        clean(b"<html>not a photo</html>")


def test_local_store_round_trip_and_refuses_paths_outside(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    ref = store.put("2026/11/1-1.jpg", b"bytes")
    assert store.get(ref) == b"bytes" and not list(tmp_path.rglob("*.part"))
    with pytest.raises(PhotoError):
        store.get("../../etc/passwd")
