"""The 形象墙's photos: an upload is only ever stored as a JPEG Pillow made from its pixels, so no EXIF, GPS or
other metadata of the camera's file reaches the wall, and no file of another type is ever served from here."""

from __future__ import annotations

import io
import re
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from indexer.atomic import write_atomic

PHOTOS = "market-photos"  # in the data dir
MAX_BYTES = 10 * 1024 * 1024
LONGEST_SIDE = 1600
MAX_PIXELS = 40_000_000  # a 40-megapixel camera's photo opens; a decompression bomb past it is refused
ACCEPTED = {"JPEG", "MPO", "PNG", "WEBP"}  # by what the file is, never its name; MPO: many phones' JPEGs
PHOTO_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
PHOTO_FILE = re.compile(r"^[A-Za-z0-9_-]{22}\.jpg$")  # what backups take from the folder
QUALITY = 85


class PhotoError(ValueError):
    """Why an upload is not a photo the wall can show (said to the editor as it is)."""


def store(data_root: Path, body: bytes) -> str:
    """Re-encode an uploaded photo (turned upright, at most LONGEST_SIDE pixels, nothing but its pixels) and save it
    as a new JPEG; returns its id."""
    if len(body) > MAX_BYTES:
        raise PhotoError(f"照片太大了：不能超过 {MAX_BYTES // 1024 // 1024} MB。")
    upright = _opened(body)
    upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    pixels = Image.new("RGB", upright.size, "white")  # a transparent PNG shows on white, as on the page
    rgba = upright.convert("RGBA")
    pixels.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=QUALITY, optimize=True)
    photo_id = secrets.token_urlsafe(16)
    write_atomic(path_of(data_root, photo_id), out.getvalue())
    return photo_id


def _opened(body: bytes) -> Image.Image:
    """The upload's pixels, turned as its EXIF orientation says; a bomb (too many pixels to decode) or a file that
    is not a whole JPEG, PNG or WebP is a PhotoError."""
    bomb = PhotoError("照片的像素太多了，请换一张普通大小的照片。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(body))
            if image.format not in ACCEPTED:
                raise PhotoError("只能上传 JPEG、PNG 或 WebP 格式的照片。")
            if image.width * image.height > MAX_PIXELS:
                raise bomb
            image.load()
            return ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise bomb from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise PhotoError("这不是一张能打开的照片：只能上传 JPEG、PNG 或 WebP 格式的照片。") from exc


def path_of(data_root: Path, photo_id: str) -> Path:
    return Path(data_root) / PHOTOS / f"{photo_id}.jpg"


def remove(data_root: Path, photo_id: str) -> None:
    if PHOTO_ID.match(photo_id):
        path_of(data_root, photo_id).unlink(missing_ok=True)
