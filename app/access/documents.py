"""Credential documents: recognised by their first bytes, stored under a random name.

A document is checked when the form is read and written only when its request is stored, so a
refused, rate-limited or failed request leaves no file behind.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.core import stored_files
from app.core.i18n import gettext as _

SIGNATURES = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}


class DocumentRefused(ValueError):
    """The upload is not a PDF, PNG or JPEG, or is empty."""


@dataclass(frozen=True)
class Document:
    """A document that passed the content check and is not stored yet."""

    content: BinaryIO
    name: str
    content_type: str
    suffix: str


def detect(head: bytes) -> tuple[str, str] | None:
    """Recognise a PDF, PNG or JPEG by its content, whatever its name says."""
    for signature, kind in SIGNATURES.items():
        if head.startswith(signature):
            return kind
    return None


def checked(upload: UploadFile | str | None) -> Document | None:
    """The uploaded document if it is one we accept; None when no file was chosen."""
    if not isinstance(upload, UploadFile) or (not upload.filename and upload.size in (None, 0)):
        return None
    upload.file.seek(0)
    kind = detect(upload.file.read(16))
    if kind is None:
        raise DocumentRefused(_("The document must be a PDF, PNG or JPEG file."))
    content_type, suffix = kind
    upload.file.seek(0)
    return Document(upload.file, _safe_name(upload.filename or "document", suffix), content_type, suffix)


def keep(db: Session, document: Document, directory: Path) -> str:
    """Write the document into `directory`; it is removed again unless the transaction commits."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / stored_files.new_name(document.suffix)
    stored_files.discard_unless_committed(db, path)
    document.content.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(document.content, out, 1 << 16)
    return str(path)


def request_fields(db: Session, document: Document | None, directory: Path) -> dict[str, Any]:
    """A request's document columns: the file kept in `directory`, its name and type; empty without one."""
    if document is None:
        return {"document_path": None, "document_name": "", "document_type": ""}
    return {
        "document_path": keep(db, document, directory),
        "document_name": document.name,
        "document_type": document.content_type,
    }


def write_nowhere(document: Document, directory: Path) -> None:
    """Write the document to an unnamed file that goes when it is closed, as long as keeping it takes."""
    directory.mkdir(parents=True, exist_ok=True)
    document.content.seek(0)
    with tempfile.TemporaryFile(dir=directory) as out:
        shutil.copyfileobj(document.content, out, 1 << 16)


def _safe_name(name: str, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem)[:80] or "document"
    return f"{stem}{suffix}"
