"""Who a session cookie names, read in one statement: session, user, newest request, consent."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased, lazyload

from app.access import lifecycle
from app.access.models import AccessRequest
from app.accounts import consent, sessions
from app.accounts.models import User, UserSession
from app.core.config import Settings
from app.core.policy import VISITOR, Viewer
from app.core.security import hash_token


@dataclass(frozen=True)
class Identity:
    """A live session, its user, their newest access request, and whether they accepted the terms."""

    session: UserSession
    user: User
    latest_request: AccessRequest | None
    accepted_terms: bool


def identify(db: Session, settings: Settings, token: str | None) -> Identity | None:
    """Return who this cookie token names while its session lives; reads only, one statement."""
    if not token:
        return None
    row = db.execute(_statement(settings.terms_version), {"token_hash": hash_token(token)}).one_or_none()
    return _live(settings, token, row[0], row[1], row[2], bool(row[3])) if row else _live(settings, token)


def identify_for_reading(connection: Connection, settings: Settings, token: str | None) -> Identity | None:
    """`identify` for deciding what a request may be shown before any view runs: one statement.

    It reads only the columns the access rule needs, into objects that belong to no session
    (Core rows cost a fraction of loading entities: the logged-in readers' page cache asks on every
    request). They hold nothing else, so they must never reach a view.
    """
    if not token:
        return None
    row = connection.execute(
        _columns(settings.terms_version), {"token_hash": hash_token(token)}
    ).one_or_none()
    if row is None:
        return _live(settings, token)
    session = UserSession(
        id=row.id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
    )
    latest = None
    if row.request_id is not None:
        latest = AccessRequest(state=row.state, profession=row.profession, access_until=row.access_until)
    return _live(settings, token, session, User(role=row.role), latest, bool(row.accepted))


def _live(
    settings: Settings,
    token: str,
    session: UserSession | None = None,
    user: User | None = None,
    latest: AccessRequest | None = None,
    accepted_terms: bool = False,
) -> Identity | None:
    # Asked even when nothing was found: an unknown token may be a forged one, which it logs.
    if not sessions.still_live(settings, token, session) or session is None or user is None:
        return None
    # Access whose period is over ends every session begun while it lasted, this one too (a
    # session begun after the end survives). `portal tick` writes that; until it runs, such a
    # session is simply no longer valid.
    if not user.is_staff and lifecycle.outlived(latest, session.created_at):
        return None
    return Identity(session=session, user=user, latest_request=latest, accepted_terms=accepted_terms)


def viewer_of(found: Identity | None) -> Viewer:
    """The viewer class the access rule needs: visitor, applicant, professional or staff."""
    if found is None:
        return VISITOR
    if found.user.is_staff:
        return Viewer(is_staff=True, logged_in=True)
    latest = found.latest_request
    state = lifecycle.state_now(latest) if latest else None
    # Only approved access within its period gives a profession: the one that was reviewed.
    profession = latest.profession if latest and lifecycle.has_access(latest) else None
    # The terms are what access is given under: until the current ones are accepted, no surface
    # (page, API, media, search, hub) shows gated content. Staff are never asked
    # (consent.needs_consent): they read gated content as their work for the society.
    terms = profession is not None and not found.accepted_terms
    return Viewer(
        profession=None if terms else profession,
        logged_in=True,
        request_state=state,
        needs_consent=terms,
    )


def _joined(*columns: Any) -> Select[Any]:
    """The session by its token's hash, its user, and the user's newest access request."""
    each = aliased(AccessRequest)
    newest = select(func.max(each.id)).where(each.user_id == User.id).correlate(User).scalar_subquery()
    return (
        select(*columns)
        .join(User, User.id == UserSession.user_id)
        .outerjoin(AccessRequest, AccessRequest.id == newest)
        .where(UserSession.token_hash == bindparam("token_hash"))
    )


@cache
def _statement(terms_version: str) -> Select[UserSession, User, AccessRequest, bool]:
    """The statement, built once per terms version: building it costs more than running it."""
    accepted = consent.accepted_current_terms(terms_version, User.id)
    # The request's user is the user read here: the identity map answers it, without a join.
    return _joined(UserSession, User, AccessRequest, accepted).options(lazyload(AccessRequest.user))


@cache
def _columns(terms_version: str) -> Select[Any]:
    """`_statement` as the columns `identify_for_reading` needs."""
    return _joined(
        UserSession.id,
        UserSession.created_at,
        UserSession.last_seen_at,
        UserSession.expires_at,
        UserSession.ended_at,
        User.role,
        AccessRequest.id.label("request_id"),
        AccessRequest.state,
        AccessRequest.profession,
        AccessRequest.access_until,
        consent.accepted_current_terms(terms_version, User.id).label("accepted"),
    )
