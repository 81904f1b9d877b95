"""Credential documents: recognised by their first bytes, stored under a random name."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from starlette.datastructures import UploadFile

from app.access.service import StoredDocument

SIGNATURES = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}


class DocumentRefused(ValueError):
    """The upload is not a PDF, PNG or JPEG, or is empty."""


def detect(head: bytes) -> tuple[str, str] | None:
    """Recognise a PDF, PNG or JPEG by its content, whatever its name says."""
    for signature, kind in SIGNATURES.items():
        if head.startswith(signature):
            return kind
    return None


def store(upload: UploadFile, directory: Path) -> StoredDocument | None:
    """Keep an uploaded document if it is one we accept; None when no file was chosen."""
    if not upload.filename and upload.size in (None, 0):
        return None
    upload.file.seek(0)
    head = upload.file.read(16)
    kind = detect(head)
    if kind is None:
        raise DocumentRefused("the document must be a PDF, PNG or JPEG file")
    content_type, suffix = kind
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(16)}{suffix}"
    upload.file.seek(0)
    with path.open("wb") as out:
        while chunk := upload.file.read(1 << 16):
            out.write(chunk)
    return StoredDocument(str(path), _safe_name(upload.filename or "document", suffix), content_type)


def _safe_name(name: str, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem)[:80] or "document"
    return f"{stem}{suffix}"
