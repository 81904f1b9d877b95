"""The staff media library: list, upload, describe and delete files."""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.articles.models import Article
from app.audit import service as audit
from app.core import content_version, malware, stored_files
from app.core.i18n import N_
from app.core.pagination import Page
from app.core.text import slugify
from app.media import service, uploads
from app.media.models import MediaFile, MediaUsage

# Labels marked for the catalog; the library page translates them.
KINDS = {"images": N_("Images"), "pdfs": N_("PDFs")}
PICKER_SIZE = 12


class DuplicateFile(ValueError):
    """The library already holds a file with exactly this content."""

    def __init__(self, existing: MediaFile) -> None:
        super().__init__(f"the library already holds this file as {existing.filename}")
        self.existing = existing


class AltRequired(ValueError):
    """An image needs a text alternative for readers who cannot see it."""


@dataclass(frozen=True)
class Row:
    media: MediaFile
    uses: int


def library(db: Session, *, kind: str, query: str, page: int, size: int) -> Page[Row]:
    """List files newest first, with how many articles use each, by kind and search words."""
    conditions = []
    if kind == "images":
        conditions.append(MediaFile.content_type.startswith("image/"))
    elif kind == "pdfs":
        conditions.append(MediaFile.content_type == "application/pdf")
    if query:
        fields = (MediaFile.filename, MediaFile.alt, MediaFile.caption)
        conditions.append(or_(*(field.icontains(query, autoescape=True) for field in fields)))
    total = db.scalar(select(func.count()).select_from(MediaFile).where(*conditions)) or 0
    uses = (
        select(func.count(distinct(MediaUsage.article_id)))
        .where(MediaUsage.media_id == MediaFile.id)
        .scalar_subquery()
    )
    rows = db.execute(
        select(MediaFile, uses)
        .where(*conditions)
        .order_by(MediaFile.created_at.desc(), MediaFile.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return Page([Row(media, count) for media, count in rows], page, size, total)


def articles_using(db: Session, media: MediaFile) -> Sequence[Article]:
    """Return the articles that show the file, by title."""
    used = select(MediaUsage.article_id).where(MediaUsage.media_id == media.id)
    return db.scalars(select(Article).where(Article.id.in_(used)).order_by(Article.title, Article.id)).all()


def upload(
    db: Session, *, data: bytes, name: str, alt: str, caption: str, directory: Path, scanner: str,
    actor: User, ip: str,
) -> tuple[MediaFile, tuple[str, ...]]:  # fmt: skip
    """Check, scan and keep an uploaded file; return it and what was removed from it (SVG markup)."""
    checked = uploads.check(data)
    malware.scan(scanner, io.BytesIO(data))  # what was sent, before any cleaning
    if checked.content_type.startswith("image/") and not alt:
        raise AltRequired("describe the image for readers who cannot see it")
    existing = db.scalar(
        select(MediaFile).where(MediaFile.sha256 == hashlib.sha256(checked.data).hexdigest())
    )
    if existing is not None:
        raise DuplicateFile(existing)
    # Browsers may send a full Windows path as the name; only its last part names the file.
    media = _keep(db, checked, Path(name.replace("\\", "/")).stem, directory, alt=alt)
    try:
        if checked.is_raster:
            thumbnail, (media.width, media.height) = uploads.make_thumbnail(Path(media.path))
            stored_files.discard_unless_committed(db, thumbnail)
            media.thumbnail_path = str(thumbnail)
    except (OSError, ValueError):
        # The file written above goes when the caller does not commit, as it will not.
        raise uploads.UploadRefused(
            "This image could not be read to make a preview. Save it again."
        ) from None
    media.caption, media.uploaded_by_id = caption, actor.id
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="media.uploaded",
        target_type="media_file",
        target_id=media.id,
        after=media.content_type,
        reason=f"{media.filename}, {media.size} bytes",
        ip=ip,
    )
    # An article may already name the file's address, which shows nothing until it exists.
    content_version.bump(db)
    return media, checked.removed


def _keep(db: Session, checked: uploads.Checked, stem: str, directory: Path, *, alt: str) -> MediaFile:
    # store_file names and stores by the source file's name, so give it the checked content under
    # a clean name whose suffix is the one the content proved.
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / f"{slugify(stem)}{checked.suffix}"
        source.write_bytes(checked.data)
        return service.store_file(db, source, directory, alt=alt)


def edit(db: Session, media: MediaFile, *, alt: str, caption: str, actor: User, ip: str) -> None:
    """Change the text alternative and caption of a file (an image keeps a text alternative)."""
    if media.is_image and not alt:
        raise AltRequired("an image needs its text alternative; describe what it shows")
    # The states columns hold short words; the texts themselves go into the free-text reason.
    change = f"alt: {media.alt!r} -> {alt!r}\ncaption: {media.caption!r} -> {caption!r}"
    media.alt, media.caption = alt, caption
    db.flush()
    # Figures show the caption and alt text of their file.
    content_version.bump(db)
    audit.record(
        db,
        actor=actor,
        action="media.edited",
        target_type="media_file",
        target_id=media.id,
        reason=change,
        ip=ip,
    )


def delete(db: Session, media: MediaFile, *, actor: User, ip: str) -> list[str]:
    """Remove the file's record; return the paths to remove from disk once that is committed."""
    paths = [media.path, *([media.thumbnail_path] if media.thumbnail_path else [])]
    users = ", ".join(f"#{article.id}" for article in articles_using(db, media))
    audit.record(
        db,
        actor=actor,
        action="media.deleted",
        target_type="media_file",
        target_id=media.id,
        before=media.content_type,
        reason=f"{media.filename}; used by articles {users}" if users else media.filename,
        ip=ip,
    )
    db.delete(media)
    db.flush()
    content_version.bump(db)
    return paths


def remove_files(paths: Sequence[str]) -> None:
    """Delete stored files from disk; one already gone is no error."""
    for path in paths:
        Path(path).unlink(missing_ok=True)


def images(db: Session) -> Sequence[MediaFile]:
    """Return the images a hero may show, newest first."""
    query = select(MediaFile).where(MediaFile.content_type.startswith("image/"))
    return db.scalars(query.order_by(MediaFile.created_at.desc(), MediaFile.id.desc()).limit(200)).all()


def recent_media(db: Session) -> Sequence[MediaFile]:
    """Return the newest images and PDFs, to insert into a body."""
    kinds = or_(MediaFile.content_type.startswith("image/"), MediaFile.content_type == "application/pdf")
    query = select(MediaFile).where(kinds).order_by(MediaFile.created_at.desc(), MediaFile.id.desc())
    return db.scalars(query.limit(PICKER_SIZE)).all()
