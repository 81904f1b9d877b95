"""Every kind of viewer the access rule knows, each as a logged-in browser."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts.models import Role
from app.core.config import Settings
from app.core.policy import Profession
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login

# Kinds that must never see gated content, and professionals by profession.
NOT_ENTITLED = [
    "visitor",
    "unverified",
    "pending",
    "needs_info",
    "rejected",
    "withdrawn",
    "suspended",
    "expired",
    # An approved physician who has not accepted the current terms yet.
    "unconsented",
]
PROFESSIONALS = {
    "therapist": Profession.THERAPIST,
    "psychotherapist": Profession.PSYCHOTHERAPIST,
    "physician": Profession.PHYSICIAN,
    "pharmacist": Profession.PHARMACIST,
}
STAFF = {"reviewer": Role.REVIEWER, "editor": Role.EDITOR, "admin": Role.ADMIN}
ALL_KINDS = [*NOT_ENTITLED, *PROFESSIONALS, *STAFF]


def browser_for(kind: str, app: FastAPI, db: Session, settings: Settings) -> TestClient:
    """A client logged in as a fresh person of this kind (a visitor is simply not logged in)."""
    client = TestClient(app)
    client.__enter__()
    make: dict[str, Callable[[], str]] = {
        **{
            state: _applicant(db, settings, RequestState(state))
            for state in NOT_ENTITLED
            if state in set(RequestState)
        },
        "unconsented": _unconsented(db, settings),
        **{kind: _applicant(db, settings, RequestState.APPROVED, p) for kind, p in PROFESSIONALS.items()},
        **{kind: _staff(db, settings, role) for kind, role in STAFF.items()},
    }
    if kind == "admin":
        # Admins must use a second factor (SPEC 5); without one every staff page sends them to set it up.
        admin = factories.staff(db, settings, role=Role.ADMIN)
        login(client, admin.email, factories.PASSWORD, secret=factories.second_factor(db, settings, admin))
    elif kind != "visitor":
        login(client, make[kind](), factories.PASSWORD)
    return client


def _applicant(
    db: Session, settings: Settings, state: RequestState, profession: Profession = Profession.PHYSICIAN
) -> Callable[[], str]:
    def create() -> str:
        return factories.applicant(db, settings, state=state, profession=profession).user.email

    return create


def _staff(db: Session, settings: Settings, role: Role) -> Callable[[], str]:
    def create() -> str:
        return factories.staff(db, settings, role=role).email

    return create


def _unconsented(db: Session, settings: Settings) -> Callable[[], str]:
    def create() -> str:
        user = factories.applicant(db, settings, state=RequestState.APPROVED).user
        factories.terms_accepted_in(db, user)
        return user.email

    return create
