"""Who is reading, for the logged-in readers' page cache: the variant of a session cookie's owner."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.access import identity
from app.accounts import sessions
from app.core.config import Settings
from app.core.policy import reading_variant
from app.core.reader_cache import ReadAs, Reader


def reading_rule(settings: Settings, factory: sessionmaker[Session]) -> ReadAs:
    """The rule `ReaderPages` asks on each request it may answer, bound to this app's settings."""
    return partial(read_as, settings=settings, factory=factory)


def read_as(
    db: Session,
    cookies: Mapping[str, str],
    state: dict[str, Any],
    *,
    settings: Settings,
    factory: sessionmaker[Session],
) -> Reader:
    """Read who the session cookie names (one statement) and the variant of what they may read.

    What it found goes into the request's state, as `current_user` would put it there: a page
    built for this request then reads nobody twice (nor logs a forged cookie twice), and is built
    for exactly the viewer whose variant it is stored under. Nobody found (no cookie, an ended or
    forged one) reads as a visitor.
    """
    found = identity.identify(db, settings, cookies.get(sessions.cookie_name(settings)))
    state["user"] = found.user if found else None
    if found is None:
        return Reader(reading_variant(identity.viewer_of(None)), touch=None)
    state["identity"] = found
    due = sessions.touch_due(found.session)
    touch = partial(sessions.touch, factory, found.session) if due else None
    return Reader(reading_variant(identity.viewer_of(found)), touch=touch)
