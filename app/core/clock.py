"""The time the application believes it is. Tests move it; nothing in the app reads the
system clock directly (everything asks `app.core.db.utcnow`, which asks here)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


@contextmanager
def travel(by: timedelta) -> Iterator[None]:
    """Run the block as if `by` had passed (tests only; the offset is process-wide)."""
    global _offset
    before = _offset
    _offset = before + by
    try:
        yield
    finally:
        _offset = before
