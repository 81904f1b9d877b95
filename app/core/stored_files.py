"""Files written for a row live and die with the transaction that stores the row.

An upload is written, its row flushed, and the view commits once. Should that commit fail, or the
request end without one, the file goes too: every stored file has its row. What a crash leaves
behind anyway is removed by `portal tick` (app/jobs/files.py), recognised by the names made here.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

# Random names only: a stored file is never named after what the uploader called it. Media files
# stored before these names were named by their SHA-256 (64 hex digits); thumbnails sit beside.
OUR_NAME = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{64})(?:\.thumb)?\.(?:pdf|png|jpg|jpeg|webp|svg)$")
_PENDING = "stored_files.pending"


def new_name(suffix: str) -> str:
    """A random file name with this suffix (`.pdf`), unguessable and never reused."""
    return f"{secrets.token_hex(16)}{suffix}"


def is_ours(path: Path) -> bool:
    """Whether the file has a name this application gives to the files it stores."""
    return bool(OUR_NAME.match(path.name))


def discard_unless_committed(db: Session, path: Path) -> None:
    """Remove `path` from disk when the session's transaction ends without a commit."""
    db.info.setdefault(_PENDING, []).append(path)
    if not event.contains(db, "after_transaction_end", _settle):
        event.listen(db, "after_commit", _keep)
        event.listen(db, "after_transaction_end", _settle)


def _keep(session: Session) -> None:
    # A savepoint's release is not the commit: the files wait for the outermost transaction.
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def _settle(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    for path in session.info.pop(_PENDING, []):
        path.unlink(missing_ok=True)
