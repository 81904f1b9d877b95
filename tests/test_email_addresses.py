"""Email addresses have one form everywhere (NFKC, lower-case, ASCII domain, no root dot), so a
lookalike spelling never becomes a second account, and lookalike letters are refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import checks
from app.access.models import RequestState
from app.accounts.models import Role, User
from app.cli import main
from app.contact.models import ContactMessage
from app.core import email_address
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, mails, submit
from tests.conftest import FAST_HASHING, soup
from tests.test_access_request import form
from tests.test_admin_people import as_admin

MIKE = "mike@example.org"
# Fullwidth m; capitals and the root dot; a fullwidth @ and ideographic full stop.
SAME_AS_MIKE = ["\uff4dike@example.org", "MIKE@Example.ORG.", " mike\uff20example\u3002org "]
DOTLESS_I = "m\u0131ke@example.org"
CYRILLIC_A = "mike@ex\u0430mple.org"
NOT_PLAIN = "Use plain letters a\u2013z, digits and signs such as . _ + - before the @"
MIXED = "The domain mixes letters of different alphabets, as lookalike addresses do; check it"


def users_named(db: Session, *fragments: str) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(User).where(User.email.in_(fragments))) or 0


def all_users(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(User)) or 0


def email_error(html: str) -> str:
    error = soup(html).select_one("#email-error")
    return error.get_text(" ", strip=True) if error else ""


# The one function ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [MIKE, *SAME_AS_MIKE])
def test_every_spelling_of_an_address_comes_out_the_same(typed: str) -> None:
    assert email_address.normalise(typed) == MIKE
    assert email_address.checked(typed) == MIKE


def test_a_domain_in_another_script_is_kept_in_its_ascii_form() -> None:
    assert email_address.checked("anna@B\u00fccher.example") == "anna@xn--bcher-kva.example"
    assert email_address.checked("anna@xn--bcher-kva.example") == "anna@xn--bcher-kva.example"
    assert email_address.checked("taro@\u4f8b\u3048.jp") == "taro@xn--r8jz45g.jp"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (DOTLESS_I, NOT_PLAIN),
        ("mik\u0435@example.org", NOT_PLAIN),  # Cyrillic e
        ("j\u00fcrgen@example.org", NOT_PLAIN),
        (CYRILLIC_A, MIXED),
        ("mike@xn--exmple-4nf.org", MIXED),  # the same, typed in its ASCII form
        ("mike@example", "Enter an email address such as name@example.org"),
        ("mike@exa..mple.org", "Enter an email address such as name@example.org"),
    ],
)
def test_lookalike_and_broken_addresses_are_refused_with_a_reason(typed: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        email_address.checked(typed)
    assert str(refused.value) == message


def test_the_reviewers_domain_check_reads_allow_listed_domains_in_the_same_form() -> None:
    verdict = checks.domain_verdict("anna@xn--bcher-kva.example", frozenset({"B\u00fccher.Example."}))
    assert verdict.status == "trusted"
    settings = Settings(auto_approve_domains="B\u00fccher.Example., charite.example", _env_file=None)  # type: ignore[call-arg]
    assert settings.auto_approve_domain_set == {"xn--bcher-kva.example", "charite.example"}


# Every form that takes an address ----------------------------------------------------------------


def test_a_lookalike_spelling_on_the_request_form_is_the_same_account_not_a_second_one(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.account_mail_per_hour = 10  # the cap per address has its own tests
    factories.applicant(db, settings, state=RequestState.APPROVED, email=MIKE)
    for typed in SAME_AS_MIKE:
        response = submit(client, "/request-access", form(email=typed))
        assert response.status_code == 303, email_error(response.text)
    assert all_users(db) == 2  # Mike and the reviewer who approved him
    assert len(mails(db, MIKE, "account_exists")) == len(SAME_AS_MIKE)


@pytest.mark.parametrize(("typed", "message"), [(DOTLESS_I, NOT_PLAIN), (CYRILLIC_A, MIXED)])
def test_a_dotless_i_or_a_cyrillic_letter_is_refused_on_the_request_form(
    client: TestClient, db: Session, settings: Settings, typed: str, message: str
) -> None:
    factories.applicant(db, settings, state=RequestState.APPROVED, email=MIKE)
    before = all_users(db)
    response = submit(client, "/request-access", form(email=typed))
    assert response.status_code == 422
    assert email_error(response.text) == message
    assert soup(response.text).select_one("input[name=email]")["value"] == typed  # type: ignore[index]
    assert all_users(db) == before


def test_login_and_a_reset_find_the_account_by_any_spelling(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.applicant(db, settings, state=RequestState.APPROVED, email=MIKE)
    assert login(client, SAME_AS_MIKE[0], factories.PASSWORD).headers["location"] == "/account"
    submit(client, "/forgot-password", {"email": SAME_AS_MIKE[1]})
    assert len(mails(db, MIKE, "password_reset")) == 1


def test_the_contact_form_keeps_the_address_in_its_one_form(client: TestClient, db: Session) -> None:
    fields = {"name": "Mike", "subject": "Hello", "message": "A question.", "consent": "on"}
    assert submit(client, "/contact", {**fields, "email": SAME_AS_MIKE[1]}).status_code == 303
    refused = submit(client, "/contact", {**fields, "email": CYRILLIC_A})
    assert email_error(refused.text) == MIXED
    db.expire_all()
    assert [m.email for m in db.scalars(select(ContactMessage))] == [MIKE]


def test_an_admin_adding_staff_under_a_lookalike_spelling_is_told_the_account_exists(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.staff(db, settings, role=Role.EDITOR, email=MIKE)
    as_admin(client, db, settings)
    for typed, message in [
        (SAME_AS_MIKE[0], "An account with this email address exists already"),
        (DOTLESS_I, NOT_PLAIN),
    ]:
        refused = submit(client, "/admin/users", {"full_name": "Mike Two", "email": typed, "role": "editor"})
        assert refused.status_code == 422
        assert message in refused.text
    assert users_named(db, MIKE) == 1
    assert all_users(db) == 2


def test_the_first_admin_from_the_command_line_gets_the_one_form_or_a_reason(
    db: Session, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    for name, value in FAST_HASHING.items():
        monkeypatch.setenv(f"PORTAL_{name.upper()}", str(value))

    def create(email: str) -> tuple[int, str]:
        typed = ["create-admin", email, "--password-stdin"]
        result = CliRunner().invoke(main, typed, input="notes on the engine\n")
        return result.exit_code, result.output

    assert create(CYRILLIC_A) == (1, f"error: {MIXED}.\n")
    assert create("Ada@Society.Example.")[0] == 0
    assert create("\uff41da@society.example") == (
        1,
        "error: an account for ada@society.example exists already.\n",
    )
    assert users_named(db, "ada@society.example") == 1
    assert all_users(db) == 1
