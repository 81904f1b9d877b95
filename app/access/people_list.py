"""The people list for staff: every account with its newest access request, and its requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role, User
from app.core.pagination import Page
from app.core.policy import Profession


@dataclass(frozen=True)
class PeopleFilters:
    """What the people list is narrowed to; empty fields match everyone."""

    text: str = ""
    role: Role | None = None
    state: RequestState | None = None
    no_request: bool = False
    profession: Profession | None = None


@dataclass(frozen=True)
class Person:
    """One row of the people list: the account and its newest access request, if any."""

    user: User
    latest: AccessRequest | None


def search(db: Session, *, filters: PeopleFilters, page: int, size: int = 25) -> Page[Person]:
    """Find accounts by name or email, role, newest request state and profession, by name."""
    query = _filtered(filters)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(query.order_by(User.full_name, User.id).limit(size).offset((page - 1) * size)).all()
    return Page([Person(user, latest) for user, latest in rows], page, size, total)


def _filtered(filters: PeopleFilters) -> Select[User, AccessRequest]:
    newest = (
        select(AccessRequest.user_id, func.max(AccessRequest.id).label("request_id"))
        .group_by(AccessRequest.user_id)
        .subquery()
    )
    latest = aliased(AccessRequest)
    query = (
        select(User, latest)
        .outerjoin(newest, newest.c.user_id == User.id)
        .outerjoin(latest, latest.id == newest.c.request_id)
    )
    if filters.text:
        text = filters.text
        query = query.where(
            or_(User.full_name.icontains(text, autoescape=True), User.email.icontains(text, autoescape=True))
        )
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.no_request:
        query = query.where(latest.id.is_(None))
    elif filters.state:
        query = query.where(latest.state == filters.state)
    if filters.profession:
        # The reviewed profession where there is a request; the account's own otherwise.
        query = query.where(func.coalesce(latest.profession, User.profession) == filters.profession.value)
    return query


def requests_of(db: Session, user_id: int) -> Sequence[AccessRequest]:
    """Return every access request of a person, newest first."""
    query = select(AccessRequest).where(AccessRequest.user_id == user_id)
    return db.scalars(query.order_by(AccessRequest.id.desc())).all()
