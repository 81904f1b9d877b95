"""People: their names and language, and for the staff the sessions they have open."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User, UserSession
from app.audit import service as audit
from app.core import i18n
from app.core.config import Settings
from app.core.db import changed_rows, claim, utcnow
from app.core.policy import Capability, can
from app.core.security import hash_token

LIVE_SESSIONS_SHOWN = 50


class SessionEndRefused(Exception):
    """The session cannot be ended from here (it is the one the staff member is using)."""


def page_language(settings: Settings) -> str:
    """The language of the page being served (a new account's first language), if the site speaks it."""
    code = i18n.current()
    return code if code in settings.language_codes else settings.default_language


def mail_language(user: User) -> str:
    """The language of every email to this person: the one they chose, or the page's they signed up on.

    Every message queued for a person takes its language from here, whether a page they opened
    caused it or a job (reminders, expiry, the reviewers' digest): never the language of whoever
    happens to be looking at a page when it is sent.
    """
    return user.language


def choose_language(db: Session, *, user: User, code: str) -> None:
    """Make `code` the person's language for their emails and the site."""
    user.language = code
    db.flush()


def named(text: str) -> Select[int]:
    """Return the query for the ids of the accounts whose name or email address contains `text`."""
    return select(User.id).where(
        or_(User.full_name.icontains(text, autoescape=True), User.email.icontains(text, autoescape=True))
    )


def names(db: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Return today's name of each account (the anonymous marker once it was deleted)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = db.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def _live(settings: Settings, user_id: int) -> list[ColumnElement[bool]]:
    now = utcnow()
    return [
        UserSession.user_id == user_id,
        UserSession.ended_at.is_(None),
        UserSession.expires_at > now,
        UserSession.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes),
    ]


def live_sessions(db: Session, settings: Settings, user_id: int) -> Sequence[UserSession]:
    """Return a person's sessions that would still log them in, most recently used first."""
    query = select(UserSession).where(*_live(settings, user_id))
    return db.scalars(query.order_by(UserSession.last_seen_at.desc()).limit(LIVE_SESSIONS_SHOWN)).all()


def may_end_sessions(viewer: User, person: User) -> bool:
    """Reviewers end members' sessions; only admins end a colleague's."""
    return can(viewer.role, Capability.MANAGE_STAFF if person.is_staff else Capability.MANAGE_MEMBERS)


def end_session(
    db: Session, *, person: User, session_id: int, actor: User, current_token: str | None, ip: str
) -> bool:
    """End one open session of a person and record it; False when it was not open any more."""
    if current_token and session_id_of(db, current_token) == session_id:
        raise SessionEndRefused("This is the session you are using now; log out to end it.")
    open_session = {"user_id": person.id, "ended_at": None}
    if not claim(db, UserSession, session_id, expected=open_session, values={"ended_at": utcnow()}):
        return False
    audit.record(
        db,
        actor=actor,
        action="account.session_ended",
        target_type="user",
        target_id=person.id,
        reason=f"Session {session_id} ended by staff.",
        ip=ip,
    )
    return True


def end_all_sessions(
    db: Session, settings: Settings, *, person: User, actor: User, current_token: str | None, ip: str
) -> int:
    """End every open session of a person but the one in use, record it, and return how many."""
    query = update(UserSession).where(*_live(settings, person.id))
    if current_token:
        query = query.where(UserSession.token_hash != hash_token(current_token))
    count = changed_rows(db, query.values(ended_at=utcnow()))
    if count:
        audit.record(
            db,
            actor=actor,
            action="account.sessions_ended",
            target_type="user",
            target_id=person.id,
            after=f"{count} ended",
            reason="Every session ended by staff.",
            ip=ip,
        )
    return count


def session_id_of(db: Session, token: str | None) -> int | None:
    """Return the id of the session a cookie token names, if any."""
    if not token:
        return None
    return db.scalar(select(UserSession.id).where(UserSession.token_hash == hash_token(token)))
