"""Server-side login sessions. The cookie holds a random token; the database holds its hash.

The token carries a keyed tag, so that a cookie the site never issued (made up or altered) is told
apart from one whose session has ended and been purged, and only the first is logged as tampering.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import structlog
from fastapi import Request, Response
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User, UserSession
from app.core import security_log
from app.core.config import Settings
from app.core.db import utcnow
from app.core.proxies import client_ip
from app.core.security import hash_token, new_token, same

log = structlog.get_logger(__name__)

# The idle limit is counted in minutes, so a session's use is written at most once a minute.
TOUCH_EVERY = timedelta(minutes=1)


def cookie_name(settings: Settings) -> str:
    # `__Host-` binds the cookie to this exact host over HTTPS (no Domain, Path=/, Secure).
    return "__Host-portal_session" if settings.env == "production" else "portal_session"


def start(db: Session, settings: Settings, user: User, request: Request) -> str:
    """Open a new session for `user`, ending the one this browser had; return the cookie token."""
    end_current(db, settings, request)
    raw, _unsigned_hash = new_token()
    token = _signed(settings, raw)
    token_hash = hash_token(token)
    now = utcnow()
    db.add(
        UserSession(
            token_hash=token_hash,
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", "")[:300],
        )
    )
    user.last_login_at = now
    db.flush()
    return token


def set_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        secure=settings.env == "production",
        samesite="lax",
        path="/",
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(cookie_name(settings), path="/", secure=settings.env == "production")


def live(
    db: Session, settings: Settings, token: str | None, *, now: datetime | None = None
) -> UserSession | None:
    """Return the session this cookie token names while it lives; reads only, writes nothing.

    A session past its idle or absolute limit is simply not live: nothing is written to end it
    (`portal tick` purges it), so that reading who is asking never commits anything.
    """
    if not token:
        return None
    found = db.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    return found if still_live(settings, token, found, now=now) else None


def still_live(
    settings: Settings, token: str, found: UserSession | None, *, now: datetime | None = None
) -> bool:
    """Whether the session found for this cookie token is live: not ended, within both limits."""
    now = now or utcnow()
    if found is None:
        # A cookie the site issued whose session was since purged is not worth an alarm; any other is.
        if not _genuine(settings, token):
            security_log.event("cookie.tampered", cookie="session", reason="unknown_token")
        return False
    if found.ended_at is not None:
        return False
    idle_limit = _aware(found.last_seen_at) + timedelta(minutes=settings.session_idle_minutes)
    return now < _aware(found.expires_at) and now < idle_limit


def touch_due(found: UserSession, *, now: datetime | None = None) -> bool:
    """Whether `touch` would write now: the last one is a minute old or more."""
    return _aware(found.last_seen_at) <= (now or utcnow()) - TOUCH_EVERY


def touch(factory: sessionmaker[Session], found: UserSession, *, now: datetime | None = None) -> bool:
    """Move the session's idle limit on, at most once a minute, in a transaction of its own.

    The one write of reading who is asking. It never shares the request's transaction (a view's
    commit or rollback neither carries nor loses it), and a database that refuses it costs the
    request nothing: it still answers, and the idle limit runs from the last touch that worked.
    """
    now = now or utcnow()
    due = now - TOUCH_EVERY
    if not touch_due(found, now=now):
        return False
    # The condition again in SQL: of several requests at once, one writes and the others find it done.
    stale = update(UserSession).where(
        UserSession.id == found.id, UserSession.ended_at.is_(None), UserSession.last_seen_at <= due
    )
    try:
        with factory.begin() as db:
            result = db.execute(
                stale.values(last_seen_at=now), execution_options={"synchronize_session": False}
            )
    except SQLAlchemyError:
        log.warning("session.touch_failed", session_id=found.id, exc_info=True)
        return False
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _signed(settings: Settings, token: str) -> str:
    """The cookie value: the token and a tag proving the site issued it."""
    return f"{token}.{_tag(settings, token)}"


def _genuine(settings: Settings, value: str) -> bool:
    """Whether the site issued this cookie value (its session may have ended since)."""
    token, _dot, tag = value.rpartition(".")
    return bool(token) and same(tag, _tag(settings, token))


def _tag(settings: Settings, token: str) -> str:
    key = hashlib.sha256(b"portal-session-cookie:" + settings.secret_key.encode()).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]


def end_current(db: Session, settings: Settings, request: Request) -> None:
    """End the session named by this request's cookie, if any."""
    token = request.cookies.get(cookie_name(settings))
    if token:
        db.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all(db: Session, user_id: int) -> None:
    """End every session of a user (password change, suspension, role change)."""
    db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)
