"""A failed login costs the same hashing work whatever the account behind the address, so its
answer time cannot tell an unknown address from a staff account without a password yet."""

from __future__ import annotations

from collections.abc import Callable

import argon2
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts import service as accounts_service
from app.accounts.models import Role
from app.core.config import Settings
from app.privacy import service as privacy
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import soup

LOGIN_FAILED = "The email address or password is not correct."
WRONG = "not the password of anyone here"


def _applicant(state: RequestState) -> Callable[[Session, Settings], str]:
    def make(db: Session, settings: Settings) -> str:
        return factories.applicant(db, settings, state=state).user.email

    return make


def _staff_without_password(db: Session, settings: Settings) -> str:
    person = accounts_service.create_staff(
        db, settings, email="new.editor@society.example", full_name="New Editor", role=Role.EDITOR, actor=None
    )
    db.commit()
    return person.email


def _staff(db: Session, settings: Settings) -> str:
    return factories.staff(db, settings, role=Role.EDITOR).email


def _admin_with_second_factor(db: Session, settings: Settings) -> str:
    admin = factories.staff(db, settings, role=Role.ADMIN)
    factories.second_factor(db, settings, admin)
    return admin.email


def _deleted(by_marker: bool) -> Callable[[Session, Settings], str]:
    def make(db: Session, settings: Settings) -> str:
        person = factories.applicant(db, settings, state=RequestState.APPROVED).user
        email = person.email
        privacy.delete_account(db, settings, person)
        db.commit()
        return privacy.marker(person) if by_marker else email

    return make


ACCOUNTS: dict[str, Callable[[Session, Settings], str]] = {
    "unknown address": lambda db, settings: "nobody.here@clinic.example",
    **{f"applicant {state.value}": _applicant(state) for state in RequestState},
    "staff without a password yet": _staff_without_password,
    "staff": _staff,
    "admin with a second factor": _admin_with_second_factor,
    "deleted, by its old address": _deleted(by_marker=False),
    "deleted, by its anonymous name": _deleted(by_marker=True),
}


@pytest.mark.parametrize("account", ACCOUNTS)
def test_a_failed_login_does_one_full_cost_password_check_for_every_kind_of_account(
    app: FastAPI,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    account: str,
) -> None:
    email = ACCOUNTS[account](db, settings)
    checked: list[str] = []
    real = argon2.low_level.verify_secret

    def spy(stored: bytes, secret: bytes, kind: argon2.low_level.Type) -> bool:
        checked.append(stored.decode())
        return real(stored, secret, kind)

    monkeypatch.setattr(argon2.low_level, "verify_secret", spy)
    with TestClient(app) as client:
        response = login(client, email, WRONG)

    assert LOGIN_FAILED in soup(response.text).get_text()
    assert len(checked) == 1, f"{account}: {len(checked)} argon2 checks"
    cost = argon2.extract_parameters(checked[0])
    assert cost.type == argon2.Type.ID
    assert (cost.time_cost, cost.memory_cost, cost.parallelism) == (
        settings.argon2_time_cost,
        settings.argon2_memory_kib,
        settings.argon2_parallelism,
    )
