"""Uploaded files: recognised by their content, SVGs cleaned, raster images measured and thumbnailed."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from app.media import svg

# Up to 50 megapixels (8660 x 5773, more than any figure needs); Pillow would warn only at 89.
MAX_PIXELS = 50_000_000
THUMBNAIL_BOX = (320, 320)
RASTER = {
    "PNG": ("image/png", ".png"),
    "JPEG": ("image/jpeg", ".jpg"),
    "MPO": ("image/jpeg", ".jpg"),  # how Pillow names many cameras' JPEGs (a JPEG with previews)
    "WEBP": ("image/webp", ".webp"),
}
ACCEPTED = "PNG, JPEG, WebP, SVG or PDF"


class UploadRefused(ValueError):
    """The upload is not a file the library accepts; the message says why, for the person."""


@dataclass(frozen=True)
class Checked:
    """A file the library accepts, as it will be stored (an SVG after cleaning)."""

    data: bytes
    content_type: str
    suffix: str
    width: int | None = None
    height: int | None = None
    removed: tuple[str, ...] = ()

    @property
    def is_raster(self) -> bool:
        return self.width is not None


def check(data: bytes) -> Checked:
    """Recognise the file by its content (never its name) and refuse anything else."""
    if not data:
        raise UploadRefused("The file is empty. Choose the file again.")
    if data.startswith(b"%PDF-"):
        return _pdf(data)
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    ):
        return _raster(data)
    if svg.looks_like_svg(data):
        try:
            cleaned, removed = svg.sanitise(data)
        except svg.SvgRefused as refused:
            raise UploadRefused(str(refused)) from None
        return Checked(cleaned, "image/svg+xml", ".svg", removed=tuple(removed))
    raise UploadRefused(f"This is not a {ACCEPTED} file (whatever its name says). Choose another file.")


def _pdf(data: bytes) -> Checked:
    # A PDF ends with its trailer; a file that only starts like one was cut short or is something else.
    if b"%%EOF" not in data[-2048:]:
        raise UploadRefused("This PDF is incomplete or damaged. Save it again and upload the new copy.")
    return Checked(data, "application/pdf", ".pdf")


def _raster(data: bytes) -> Checked:
    # Pillow (about 6 MB a process) is imported by the first upload, not by every worker that serves pages.
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            size, found = _open_and_verify(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(_too_many_pixels_message()) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRefused(
            "This image is damaged or incomplete, so it cannot be used. Save it again."
        ) from None
    if size[0] * size[1] > MAX_PIXELS:
        raise UploadRefused(_too_many_pixels_message(size))
    if found not in RASTER:
        raise UploadRefused(f"This is not a {ACCEPTED} file (whatever its name says). Choose another file.")
    content_type, suffix = RASTER[found]
    return Checked(data, content_type, suffix, width=size[0], height=size[1])


def _open_and_verify(data: bytes) -> tuple[tuple[int, int], str | None]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        size, found = image.size, image.format
        if size[0] * size[1] > MAX_PIXELS:
            return size, found  # refused by the caller, before any pixel is decoded
        image.verify()
    # verify() leaves the image unusable and misses truncated pixel data: decode it all once.
    with Image.open(io.BytesIO(data)) as image:
        image.load()
    return size, found


def _too_many_pixels_message(size: tuple[int, int] | None = None) -> str:
    measured = f" is {size[0]} × {size[1]} pixels; it" if size else ""
    return (
        f"This image{measured} is too large to process: images up to {MAX_PIXELS // 1_000_000} "
        "megapixels can be uploaded. Scale it down and try again."
    )


def make_thumbnail(source: Path) -> tuple[Path, tuple[int, int]]:
    """Write a thumbnail beside a stored raster image; return its path and the upright image size."""
    from PIL import Image, ImageOps

    with Image.open(source) as opened:
        image = ImageOps.exif_transpose(opened)
        size = image.size
        image.thumbnail(THUMBNAIL_BOX)
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
        target = source.with_name(f"{source.stem}.thumb.{'png' if transparent else 'jpg'}")
        try:
            image.save(target, format="PNG" if transparent else "JPEG", quality=85)
        except (OSError, ValueError):
            target.unlink(missing_ok=True)  # no half-written thumbnail left behind
            raise
    return target, size
