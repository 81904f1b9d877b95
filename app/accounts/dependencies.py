"""Who is asking: the logged-in user, and the guards views declare."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from app.accounts import second_factor, sessions
from app.accounts.models import User, UserSession
from app.core import security_log
from app.core.config import Settings
from app.core.db import Db
from app.core.errors import LoginRequired
from app.core.i18n import gettext as _
from app.core.languages import localised
from app.core.policy import (
    Capability,
    RouteAccess,
    can,
    must_use_second_factor,
    route_access,
)


class Identified(Protocol):
    """What identifying a request finds: at least the live session and its user."""

    @property
    def session(self) -> UserSession: ...

    @property
    def user(self) -> User: ...


# Reads who a session cookie names, in one statement with what a domain above accounts needs to
# know about them (their access request and consent, app/access/identity.py), and refuses a
# session that access whose period is over has ended. create_app sets it as
# `app.state.identify`, so identity imports nothing above accounts; an app built without it fails
# every page rather than let lapsed access through.
IdentityRule = Callable[[Session, Settings, str | None], Identified | None]


def current_user(request: Request, db: Db) -> User | None:
    """The user whose live session this request carries, or None; writes only `sessions.touch`."""
    if "user" not in request.state._state:
        request.state.user = _identify(request, db)
    return request.state.user  # type: ignore[no-any-return]


def _identify(request: Request, db: Session) -> User | None:
    settings = request.app.state.settings
    identify: IdentityRule = request.app.state.identify
    found = identify(db, settings, request.cookies.get(sessions.cookie_name(settings)))
    if found is None:
        return None
    request.state.identity = found
    sessions.touch(request.app.state.session_factory, found.session)
    return found.user


CurrentUser = Annotated[User | None, Depends(current_user)]


def _here(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


async def require_user(request: Request, user: CurrentUser) -> User:
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
            raise HTTPException(403, _("This page is for the society's staff."))
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
    """Where a logged-in person starts: staff at the staff area, everyone else at their account.

    In the language of the page they are on: the address they logged in at wins over their own.
    """
    return localised("/admin" if user.is_staff else "/account")
