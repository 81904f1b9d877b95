"""Who is reading, for the logged-in readers' page cache: the variant of a session cookie's owner."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy import Connection
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
    connection: Connection,
    cookies: Mapping[str, str],
    state: dict[str, Any],
    *,
    settings: Settings,
    factory: sessionmaker[Session],
) -> Reader:
    """Read who the session cookie names (one statement) and the variant of what they may read.

    Nobody found (no cookie, an ended or forged one) reads as a visitor, and the request's state
    says so as `current_user` would, so a page built for it neither reads nor logs the cookie again.
    Somebody found is read again by the app if it builds the page (what is read here is too little
    for a view), and the page is kept only if that reading gives the same variant.
    """
    found = identity.identify_for_reading(connection, settings, cookies.get(sessions.cookie_name(settings)))
    if found is None:
        state["user"] = None
        return Reader(reading_variant(identity.viewer_of(None)), touch=None)
    due = sessions.touch_due(found.session)
    touch = partial(sessions.touch, factory, found.session) if due else None
    return Reader(reading_variant(identity.viewer_of(found)), touch=touch)
