"""Storing files, recording where articles use them, and deciding who may fetch one."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.articles.markdown import GATE, parse
from app.articles.models import Article, ArticleStatus
from app.core import stored_files
from app.core.db import utcnow
from app.core.image_size import RASTER_SUFFIXES, Size, file_size
from app.core.policy import Viewer, may_read, parse_audience
from app.core.text import slugify
from app.media.models import MediaFile, MediaUsage

MEDIA_PATH = re.compile(r"^/media/(\d+)/[^/]+$")
TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
}


class MediaRefused(ValueError):
    """A file of a kind the site does not serve."""


def url_of(media: MediaFile) -> str:
    return f"/media/{media.id}/{media.filename}"


def store_file(db: Session, source: Path, directory: Path, *, alt: str = "") -> MediaFile:
    """Keep a copy of `source` (once per content) and return its record; the copy goes on rollback."""
    suffix = source.suffix.lower()
    if suffix not in TYPES:
        raise MediaRefused(f"{source.name}: only {', '.join(sorted(TYPES))} files can be used")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    existing = db.scalar(select(MediaFile).where(MediaFile.sha256 == digest))
    if existing is not None:
        return existing
    directory.mkdir(parents=True, exist_ok=True)
    # A name of its own, not the digest: two uploads of one content at the same moment must not
    # share a file that the one rolled back would then take from the other.
    target = directory / stored_files.new_name(suffix)
    stored_files.discard_unless_committed(db, target)
    shutil.copyfile(source, target)
    # A raster image's pixels, read from its header (an upload measures them again, turned upright).
    width, height = (file_size(target) if suffix in RASTER_SUFFIXES else None) or (None, None)
    media = MediaFile(
        filename=f"{slugify(source.stem)}{suffix}",
        content_type=TYPES[suffix],
        path=str(target),
        sha256=digest,
        size=target.stat().st_size,
        alt=alt,
        width=width,
        height=height,
    )
    db.add(media)
    db.flush()
    return media


def record_usage(db: Session, article: Article) -> None:
    """Record which files the article shows and behind which audiences (after every save)."""
    db.execute(delete(MediaUsage).where(MediaUsage.article_id == article.id))
    enclosing: list[str] = [article.audience] if article.audience.strip() else []
    for token in parse(article.body):
        if token.type == f"container_{GATE}_open":
            enclosing.append(" ".join(token.info.split()[1:]) or GATE)
        elif token.type == f"container_{GATE}_close":
            enclosing.pop()
        for child in token.children or []:
            # Images, and links to files (a PDF is linked, not shown).
            address = child.attrGet("src") if child.type == "image" else child.attrGet("href")
            match = MEDIA_PATH.match(str(address or "")) if child.type in ("image", "link_open") else None
            if match:
                _use(db, int(match.group(1)), article, "|".join(enclosing))
    # The hero image is shown at the top of the article, so under the article's own audience.
    hero = MEDIA_PATH.match(article.hero_image or "")
    if hero:
        _use(db, int(hero.group(1)), article, article.audience.strip())
    db.flush()


def _use(db: Session, media_id: int, article: Article, audiences: str) -> None:
    # A path to a file that does not exist (mistyped, or deleted since) shows nothing and serves nothing.
    if db.get(MediaFile, media_id) is not None:
        db.add(MediaUsage(media_id=media_id, article_id=article.id, audiences=audiences))


def servable(db: Session, media_id: int, filename: str, viewer: Viewer) -> MediaFile | None:
    """The file, if this viewer may see at least one place where a published article shows it."""
    media = db.get(MediaFile, media_id)
    if media is None or media.filename != filename:
        return None
    # Staff see every file, placed or not: editors check an upload and preview a draft before any
    # published article shows it.
    if viewer.is_staff:
        return media
    usages = db.execute(
        select(MediaUsage.audiences)
        .join(Article, Article.id == MediaUsage.article_id)
        .where(
            MediaUsage.media_id == media_id,
            Article.status == ArticleStatus.PUBLISHED,
            Article.published_at <= utcnow(),
        )
    ).scalars()
    for audiences in usages:
        if all(may_read(viewer, parse_audience(words)) for words in audiences.split("|") if words):
            return media
    return None


def image_sizes(db: Session, sources: Sequence[str]) -> dict[str, Size]:
    """The drawn size of each uploaded image among `sources` (media addresses; others are skipped)."""
    wanted = {int(match.group(1)): src for src in sources if (match := MEDIA_PATH.match(src))}
    if not wanted:
        return {}
    found: dict[str, Size] = {}
    for media in db.scalars(select(MediaFile).where(MediaFile.id.in_(wanted))):
        src = wanted[media.id]
        if not media.is_image or src != url_of(media):
            continue
        # Raster sizes are measured when the file is stored; an SVG's is read from its own markup
        # (a worker that shows pages never loads Pillow for this).
        if media.width and media.height:
            size: Size | None = (media.width, media.height)
        else:
            size = file_size(Path(media.path)) if media.content_type == "image/svg+xml" else None
        if size:
            found[src] = size
    return found


def _image_label(alt: str) -> str:
    # The figure's alt is read from the label's source text, so escapes would show: keep the text
    # as typed, on one line, and escape brackets only when unbalanced ones would end the label early.
    text = " ".join(alt.split())
    depth = 0
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth < 0:
            break
    return text if depth == 0 else text.replace("[", "\\[").replace("]", "\\]")


def markdown_for(media: MediaFile) -> str:
    """The Markdown that shows the file in an article: an image (captioned), or a link."""
    if not media.is_image:
        return f"[{media.filename}]({url_of(media)})"
    caption = " ".join(media.caption.split()).replace("\\", "\\\\").replace('"', '\\"')
    title = f' "{caption}"' if caption else ""
    return f"![{_image_label(media.alt)}]({url_of(media)}{title})"
