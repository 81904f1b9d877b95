"""The upload and media folders hold only files that a row names.

A file is written just before its row is flushed and removed when the transaction does not
commit (app/core/stored_files.py); a process killed in between still leaves one behind. Such a
stray is removed here once it is old enough that no transaction can still be storing its row.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.models import AccessRequest
from app.core import stored_files
from app.core.config import Settings
from app.media.models import MediaFile

log = structlog.get_logger(__name__)
STRAY_AFTER = timedelta(hours=1)


def remove_strays(db: Session, settings: Settings, now: datetime) -> int:
    """Delete stored files that no row names, once they are an hour old."""
    named = _named_files(db)
    db.rollback()  # nothing to write: end the read before the slower walk through the folders
    found = list(_stored_files(settings.upload_dir, settings.media_dir))
    if found and not named:
        # Files, and not one row naming any: a database that is not these folders' (a wrong
        # PORTAL_DATABASE_URL, an empty restore) must not cost every document and image.
        log.warning("tick.strays_kept", reason="no row names any stored file", files=len(found))
        return 0
    cutoff = (now - STRAY_AFTER).timestamp()
    removed = 0
    for path in found:
        if path in named or _modified(path) > cutoff:
            continue
        path.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("tick.stray_files_removed", count=removed)
    return removed


def _named_files(db: Session) -> set[Path]:
    # Both folders at once: one may lie inside the other, and each must keep the other's files.
    documents = select(AccessRequest.document_path).where(AccessRequest.document_path.is_not(None))
    media = select(MediaFile.path).union_all(
        select(MediaFile.thumbnail_path).where(MediaFile.thumbnail_path.is_not(None))
    )
    paths = [*db.scalars(documents), *db.scalars(media)]
    return {Path(str(path)).resolve() for path in paths}


def _stored_files(*folders: Path) -> Iterator[Path]:
    """Files with the names this application gives (resolved), never through a symbolic link."""
    seen: set[Path] = set()
    for folder in folders:
        for root, _dirs, names in os.walk(folder):
            for name in names:
                path = Path(root) / name
                if stored_files.is_ours(path) and not path.is_symlink() and path.resolve() not in seen:
                    seen.add(path.resolve())
                    yield path.resolve()


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile, by a user's deletion or another tick
        return float("inf")
