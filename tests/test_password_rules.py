"""New passwords follow NIST SP 800-63B wherever one is set: 12 to 128 characters, none of the
most common passwords, and nothing containing the person's email address or name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts.models import User
from app.cli import main
from app.core import passwords
from app.core.config import Settings
from app.demo import seed
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import link_in, login, mails, submit
from tests.conftest import FAST_HASHING, soup
from tests.test_access_request import form

SHORT = "Choose a password of at least 12 characters"
LONG = "Choose a password of at most 128 characters"
COMMON = "This is one of the most common passwords, which are tried first; choose another"
HAS_EMAIL = "Choose a password that does not contain your email address"
HAS_NAME = "Choose a password that does not contain your name"
README = Path(__file__).resolve().parent.parent / "README.md"


def error_beside(html: str, field: str = "password") -> str:
    error = soup(html).select_one(f"#{field}-error")
    return error.get_text(" ", strip=True) if error else ""


def accounts(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(User)) or 0


def request_with(client: TestClient, password: str, **fields: str) -> str:
    """Send the access-request form with `password` typed twice; return the error beside it."""
    response = submit(client, "/request-access", form(password=password, password_confirm=password, **fields))
    return error_beside(response.text) if response.status_code == 422 else ""


# The rules ---------------------------------------------------------------------------------------


def test_the_common_password_list_is_the_maintained_one_and_loaded_once() -> None:
    common = passwords.common_passwords()
    assert len(common) >= 10_000
    assert {"password", "qwerty123456", "iloveyou"} <= common
    assert passwords.common_passwords() is common


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", SHORT),
        ("x" * 11, SHORT),
        ("x" * 129, LONG),
        ("qwerty123456", COMMON),
        ("QWERTY123456", COMMON),
        ("leave me alone", COMMON),
        ("jsommer-likes-long-walks", HAS_EMAIL),
        ("Margarethe-in-the-garden", HAS_NAME),
        ("the-sommerfeld-family-1987", HAS_NAME),
        ("xyzzy plugh" + "x", None),
        ("x" * 128, None),
        ("correct horse battery", None),
    ],
)
def test_each_rule_names_what_to_change(password: str, message: str | None) -> None:
    owner = {"email": "jsommer@clinic.example", "name": "Dr. Margarethe Sommerfeld"}
    assert passwords.problem(password, **owner) == message


def test_characters_are_counted_as_people_see_them_not_as_bytes() -> None:
    assert passwords.problem("ü" * 12, email="", name="") is None
    assert passwords.problem("ü" * 11, email="", name="") == SHORT


# Every place where a password is set ------------------------------------------------------------


def test_the_request_form_refuses_a_password_outside_12_to_128_characters(
    client: TestClient, db: Session
) -> None:
    assert request_with(client, "eleven char") == SHORT
    assert request_with(client, "long " * 26) == LONG
    assert accounts(db) == 0
    assert request_with(client, "a" * 120 + " ok then") == ""
    assert accounts(db) == 1


def test_a_password_keeps_the_spaces_typed_around_it(app: FastAPI, client: TestClient) -> None:
    spaced = "  a passphrase with room around it  "
    assert request_with(client, spaced, email="spacious@clinic.example") == ""
    assert login(TestClient(app), "spacious@clinic.example", spaced).headers["location"] == "/account"


def test_the_request_form_refuses_common_passwords_and_the_persons_own_name_or_address(
    client: TestClient, db: Session
) -> None:
    typed = {"full_name": "Dr. Erika Example", "email": "mara.sommer@clinic.example"}
    assert request_with(client, "qwerty123456", **typed) == COMMON
    assert request_with(client, "Leave me alone", **typed) == COMMON
    assert request_with(client, "mara.sommer@clinic.example", **typed) == HAS_EMAIL
    assert request_with(client, "hello-Sommer-2026!", **typed) == HAS_EMAIL
    assert request_with(client, "Dr. Erika Example", **typed) == HAS_NAME
    assert request_with(client, "Example family forever", **typed) == HAS_NAME
    assert accounts(db) == 0


def test_changing_the_password_follows_the_same_rules(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(
        db, settings, state=RequestState.APPROVED, full_name="Dr. Hedwig Brandt", email="hb@clinic.example"
    ).user
    login(client, person.email, factories.PASSWORD)
    for new, message in [
        ("qwerty123456", COMMON),
        ("brandt-brandt-brandt", HAS_NAME),
        ("y" * 129, LONG),
    ]:
        typed = {"current_password": factories.PASSWORD, "password": new, "password_confirm": new}
        response = submit(client, "/account/password", typed)
        assert response.status_code == 422
        assert error_beside(response.text) == message
    assert mails(db, person.email, "password_changed") == []


def test_a_reset_password_follows_the_same_rules_and_the_link_still_works_after_a_refusal(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, email="otto.krause@clinic.example").user
    submit(client, "/forgot-password", {"email": person.email})
    link = link_in(mails(db, person.email, "password_reset")[-1], "/reset-password")
    token = link.split("token=", 1)[1]

    for new, message in [("krause-and-otto-2026", HAS_EMAIL), ("1qaz2wsx3edc", COMMON)]:
        refused = submit(client, link, {"token": token, "password": new, "password_confirm": new})
        assert refused.status_code == 422
        assert error_beside(refused.text) == message

    done = submit(
        client,
        link,
        {"token": token, "password": "river stones at dusk", "password_confirm": "river stones at dusk"},
    )
    assert done.headers["location"] == "/login"
    assert login(TestClient(app), person.email, "river stones at dusk").headers["location"] == "/account"


def create_admin(
    monkeypatch: pytest.MonkeyPatch, database_url: str, email: str, password: str
) -> tuple[int, str]:
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    for name, value in FAST_HASHING.items():
        monkeypatch.setenv(f"PORTAL_{name.upper()}", str(value))
    result = CliRunner().invoke(
        main, ["create-admin", email, "--name", "Ada Lovelace", "--password-stdin"], input=f"{password}\n"
    )
    return result.exit_code, result.output


def test_the_first_admin_from_the_command_line_follows_the_same_rules(
    db: Session, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for password, message in [
        ("short", SHORT),
        ("qwerty123456", COMMON),
        ("ada.l-keeps-the-keys", HAS_EMAIL),
        ("lovelace analytical engine", HAS_NAME),
    ]:
        code, output = create_admin(monkeypatch, database_url, "ada.l@society.example", password)
        assert (code, output.strip()) == (1, f"error: {message}.")
    assert accounts(db) == 0

    code, output = create_admin(monkeypatch, database_url, "ada.l@society.example", "notes on the engine")
    assert code == 0, output
    assert accounts(db) == 1


# The demo ---------------------------------------------------------------------------------------


def test_every_demo_login_meets_the_rules_and_the_readme_shows_it() -> None:
    logins = [(email, name, password) for email, name, _role, password in seed.STAFF]
    logins += [(email, name, seed.APPLICANT_PASSWORD) for email, name, *_rest in seed.APPLICANTS]
    for email, name, password in logins:
        assert passwords.problem(password, email=email, name=name) is None, email

    seeded = {email: password for email, _name, password in logins}
    rows = README.read_text(encoding="utf-8").split("| who | email | password |", 1)[1].split("\n\n", 1)[0]
    shown = {}
    for row in rows.splitlines()[2:]:
        _who, emails, password = (cell.strip() for cell in row.strip("|").split("|"))
        for local in re.findall(r"([a-z0-9.]+)@", emails):
            shown[f"{local}@portico.example"] = password
    assert shown == seeded
