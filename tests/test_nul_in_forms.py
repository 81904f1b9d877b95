"""A NUL in a posted choice never matches: the same page with a message beside the field, 422,
nothing stored (free text keeps a mark instead: see test_staff_odd_input)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.core.config import Settings
from tests.asgi_client import TestClient
from tests.browsing import submit
from tests.conftest import soup
from tests.test_access_request import form
from tests.test_admin_people import as_admin


def accounts(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(User)) or 0


def error_beside(html: str, field: str) -> str:
    error = soup(html).select_one(f"#{field}-error")
    return error.get_text(" ", strip=True) if error else ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("profession", "physician\x00", "Choose your profession from the list"),
        ("profession", "\x00physician", "Choose your profession from the list"),
        ("profession", "phys\x00ician", "Choose your profession from the list"),
        ("licence_country", "US\x00", "Choose the country that issued the licence"),
        ("accept_terms", "on\x00", "Please accept the terms of use and the privacy notice to continue"),
    ],
)
def test_a_choice_with_a_nul_in_it_is_refused_on_the_request_form(
    client: TestClient, db: Session, field: str, value: str, message: str
) -> None:
    response = submit(client, "/request-access", form(**{field: value}))
    assert response.status_code == 422
    assert error_beside(response.text, field) == message
    assert accounts(db) == 0


def test_a_role_with_a_nul_in_it_is_refused_on_the_staff_form(
    client: TestClient, db: Session, settings: Settings
) -> None:
    as_admin(client, db, settings)
    wanted = {"full_name": "Nul Editor", "email": "nul.editor@society.example", "role": "editor\x00"}
    response = submit(client, "/admin/users", wanted)
    assert response.status_code == 422
    assert error_beside(response.text, "role") == "Choose a role"
    assert accounts(db) == 1
    db.expire_all()
    assert db.scalar(select(User).where(User.role == Role.EDITOR)) is None
