"""Who is asking: the logged-in user, their viewer class, and the guards views declare."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from app.access import service as access_service
from app.access.models import RequestState
from app.accounts import sessions
from app.accounts.models import Role, User
from app.core.db import get_db
from app.core.errors import LoginRequired
from app.core.policy import VISITOR, RouteAccess, Viewer

Db = Annotated[Session, Depends(get_db)]


def current_user(request: Request, db: Db) -> User | None:
    """The user whose live session this request carries, or None."""
    if "user" not in request.state._state:
        settings = request.app.state.settings
        token = request.cookies.get(sessions.cookie_name(settings))
        request.state.user = sessions.load(db, settings, token)
    return request.state.user  # type: ignore[no-any-return]


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
        latest = access_service.latest_request(db, user.id)
        state = latest.state if latest else None
        profession = user.profession if state == RequestState.APPROVED else None
        viewer = Viewer(profession=profession, logged_in=True, request_state=state)
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


def require_role(*roles: Role) -> Callable[..., User]:
    """A guard that lets in only these staff roles (admins always)."""
    allowed = {*roles, Role.ADMIN}

    def guard(request: Request, user: CurrentUser) -> User:
        if user is None:
            raise LoginRequired(_here(request))
        if user.role not in allowed:
            raise HTTPException(403, "This page is for the society's staff.")
        return user

    guard.route_access = (  # type: ignore[attr-defined]
        RouteAccess.ADMIN
        if allowed == {Role.ADMIN}
        else RouteAccess.REVIEWER
        if allowed == {Role.REVIEWER, Role.ADMIN}
        else RouteAccess.STAFF
    )
    return guard


LoggedIn = Annotated[User, Depends(require_user)]
Staff = Annotated[User, Depends(require_role(Role.REVIEWER, Role.EDITOR))]
Reviewer = Annotated[User, Depends(require_role(Role.REVIEWER))]
Admin = Annotated[User, Depends(require_role(Role.ADMIN))]


def safe_next(value: str | None, default: str = "/account") -> str:
    """Only ever lead inside the site: a path, never another host or scheme."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 for c in value):
        return default
    return value
