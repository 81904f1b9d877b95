"""Who is asking: the logged-in user, their viewer class, and the guards views declare."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from app.access import lifecycle
from app.accounts import identity, second_factor, sessions
from app.accounts.models import User
from app.core import security_log
from app.core.db import Db
from app.core.errors import LoginRequired
from app.core.policy import (
    VISITOR,
    Capability,
    RouteAccess,
    Viewer,
    can,
    must_use_second_factor,
    route_access,
)


def current_user(request: Request, db: Db) -> User | None:
    """The user whose live session this request carries, or None; writes only `sessions.touch`."""
    if "user" not in request.state._state:
        request.state.user = _identify(request, db)
    return request.state.user  # type: ignore[no-any-return]


def _identify(request: Request, db: Session) -> User | None:
    settings = request.app.state.settings
    found = identity.identify(db, settings, request.cookies.get(sessions.cookie_name(settings)))
    if found is None:
        return None
    # Access whose period is over ends every session begun while it lasted, this one too (a
    # session begun after the end survives). `portal tick` writes that; until it runs, such a
    # session is simply no longer valid.
    if not found.user.is_staff and lifecycle.outlived(found.latest_request, found.session.created_at):
        return None
    request.state.identity = found
    sessions.touch(request.app.state.session_factory, found.session)
    return found.user


CurrentUser = Annotated[User | None, Depends(current_user)]


def current_viewer(request: Request, db: Db, user: CurrentUser) -> Viewer:
    """The viewer class the access rule needs: visitor, applicant, professional or staff."""
    if "viewer" in request.state._state:
        return request.state.viewer  # type: ignore[no-any-return]
    if user is None:
        viewer = VISITOR
    elif user.is_staff:
        viewer = Viewer(is_staff=True, logged_in=True)
    else:
        # Read with the session in one statement (identity.identify), never asked again here.
        found: identity.Identity = request.state.identity
        latest = found.latest_request
        state = lifecycle.state_now(latest) if latest else None
        # Only approved access within its period gives a profession: the one that was reviewed.
        profession = latest.profession if latest and lifecycle.has_access(latest) else None
        # The terms are what access is given under: until the current ones are accepted, no
        # surface (page, API, media, search, hub) shows gated content. Staff are never asked
        # (privacy.needs_consent): they read gated content as their work for the society.
        terms = profession is not None and not found.accepted_terms
        viewer = Viewer(
            profession=None if terms else profession,
            logged_in=True,
            request_state=state,
            needs_consent=terms,
        )
    request.state.viewer = viewer
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


def _here(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def require_user(request: Request, user: CurrentUser) -> User:
    if user is None:
        raise LoginRequired(_here(request))
    return user


require_user.route_access = RouteAccess.MEMBER  # type: ignore[attr-defined]


class SecondFactorRequired(HTTPException):
    """An admin without a second factor: sent to set one up (the error handler passes headers on)."""

    def __init__(self, location: str) -> None:
        super().__init__(303, "second factor required", headers={"Location": location})


def require(capability: Capability, *, admin_second_factor: bool = True) -> Callable[..., User]:
    """A guard that lets in only staff whose role has `capability` (and a second factor if it needs one)."""
    access = route_access(capability)

    def guard(request: Request, db: Db, user: CurrentUser) -> User:
        if user is None:
            raise LoginRequired(_here(request))
        if not can(user.role, capability):
            path = request.url.path
            security_log.event("access.denied", user_id=user.id, path=path, required=access.value)
            raise HTTPException(403, "This page is for the society's staff.")
        # SPEC 5: admins must use a second factor; only the page that sets it up opts out.
        needs_second_factor = admin_second_factor and must_use_second_factor(user.role)
        if needs_second_factor and not second_factor.is_enabled(db, user):
            raise SecondFactorRequired(request.app.url_path_for("accounts.second_factor"))
        return user

    guard.route_access = access  # type: ignore[attr-defined]
    return guard


LoggedIn = Annotated[User, Depends(require_user)]
# One guard per capability; a route names the one it needs (core/policy.py says which roles hold it).
Staff = Annotated[User, Depends(require(Capability.ENTER_STAFF_AREA))]
MessageAnswerer = Annotated[User, Depends(require(Capability.ANSWER_MESSAGES))]
Reviewer = Annotated[User, Depends(require(Capability.REVIEW_REQUESTS))]
PeopleManager = Annotated[User, Depends(require(Capability.MANAGE_MEMBERS))]
OutboxReader = Annotated[User, Depends(require(Capability.READ_OUTBOX))]
Editor = Annotated[User, Depends(require(Capability.EDIT_CONTENT))]
Admin = Annotated[User, Depends(require(Capability.MANAGE_STAFF))]
AuditReader = Annotated[User, Depends(require(Capability.READ_AUDIT))]


def safe_next(value: str | None, default: str = "/account") -> str:
    """Only ever lead inside the site: a path, never another host or scheme."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 for c in value):
        return default
    return value


def home_path(user: User) -> str:
    """Where a logged-in person starts: staff at the staff area, everyone else at their account."""
    return "/admin" if user.is_staff else "/account"
