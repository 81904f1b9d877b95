"""The drawn size of an image file, for the width and height of its `<img>`.

A browser that knows an image's proportions before it loads keeps the room for it, so the text
does not jump as figures arrive. An SVG's size is its width and height in pixels, or else its
viewBox; a raster image's is its pixels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from app.core.web import STATIC_DIR

Size = tuple[int, int]
# An SVG's root element, read from the start of the file: no parser is needed for three attributes.
SVG_ROOT = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE)
PIXELS = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(?:px)?\s*$")
NUMBER = re.compile(r"-?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?")
RASTER_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
STATIC_PREFIX = "/static/"


def _attribute(root: bytes, name: str) -> str:
    found = re.search(rb"\s" + name.encode() + rb"""\s*=\s*(["'])(.*?)\1""", root, re.DOTALL)
    return found.group(2).decode("utf-8", "replace") if found else ""


def svg_size(data: bytes) -> Size | None:
    """The size an SVG asks to be drawn at: its width and height in pixels, or else its viewBox."""
    root = SVG_ROOT.search(data[:8192])
    if root is None:
        return None
    width = PIXELS.match(_attribute(root.group(0), "width"))
    height = PIXELS.match(_attribute(root.group(0), "height"))
    if width and height:
        return _positive(float(width.group(1)), float(height.group(1)))
    box = NUMBER.findall(_attribute(root.group(0), "viewBox"))
    return _positive(float(box[2]), float(box[3])) if len(box) == 4 else None


def _positive(width: float, height: float) -> Size | None:
    size = (round(width), round(height))
    return size if min(size) > 0 else None


def file_size(path: Path) -> Size | None:
    """The drawn size of an SVG or raster file; None for anything else or a file that cannot be read."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".svg":
            with path.open("rb") as svg:
                return svg_size(svg.read(8192))
        if suffix in RASTER_SUFFIXES:
            # Pillow is imported only when a page first shows such an image; it reads the header only.
            from PIL import Image, UnidentifiedImageError

            try:
                with Image.open(path) as image:
                    return _positive(*image.size)
            except (UnidentifiedImageError, SyntaxError, ValueError):
                return None  # not the image its name says, or damaged
    except OSError:
        return None
    return None


@lru_cache(maxsize=256)
def static_size(src: str) -> Size | None:
    """The size of one of the site's own images ("/static/figures/x.svg"), read once per process."""
    if not src.startswith(STATIC_PREFIX):
        return None
    path = (STATIC_DIR / src.removeprefix(STATIC_PREFIX).split("?")[0]).resolve()
    # An address that climbs out of the static folder names no file of ours.
    if not path.is_relative_to(STATIC_DIR.resolve()):
        return None
    return file_size(path)


def static_sizes(sources: Sequence[str]) -> dict[str, Size]:
    """The sizes of those `sources` that are the site's own images."""
    return {src: size for src in sources if (size := static_size(src))}
