"""Two-step login for staff: the TOTP arithmetic, setting it up, the code step, recovery codes,
admins who must use it, resets by another admin. Time moves with `clock.travel`, never by waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import Tag
from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import second_factor, sessions, totp
from app.accounts.models import RecoveryCode, Role, SecondFactor, User, UserSession
from app.audit.models import AuditEvent
from app.core import clock
from app.core.config import Settings
from app.core.db import utcnow
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from, login, logout, submit
from tests.conftest import page_text, soup
from tests.factories import PASSWORD

STEP = timedelta(seconds=totp.STEP_SECONDS)
RFC_KEY = b"12345678901234567890"
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC_KEY in base32


# Helpers ----------------------------------------------------------------------------------------


def code_now(secret: str, shift: timedelta = timedelta(0)) -> str:
    return totp.code_at(secret, utcnow() + shift)


def enrolled(db: Session, settings: Settings, role: Role = Role.REVIEWER) -> tuple[User, str, list[str]]:
    """Staff with two-step login on, set up with the previous step's code so the current one is unused."""
    user = factories.staff(db, settings, role=role)
    secret = second_factor.enrolment_secret(db, settings, user)
    codes = second_factor.enable(db, settings, user, code=code_now(secret, -STEP), ip="")
    db.commit()
    return user, secret, codes


def second_step(client: TestClient, **fields: str) -> Response:
    return submit(client, "/login/two-factor", fields)


def log_in_fully(client: TestClient, user: User, secret: str) -> Response:
    assert login(client, user.email, PASSWORD).headers["location"] == "/login/two-factor"
    response = second_step(client, code=code_now(secret))
    assert response.status_code == 303, page_text(response.text)
    return response


def secret_on(html: str) -> str:
    key = soup(html).select_one("#secret-key")
    assert key is not None, page_text(html)
    return key.get_text().replace(" ", "")


def codes_on(html: str) -> list[str]:
    return [item.get_text() for item in soup(html).select(".two-factor__codes code")]


def error_text(html: str) -> str:
    summary = soup(html).select_one(".error-summary, .field__error")
    return page_text(str(summary)) if summary else ""


def staff_section(html: str) -> Tag | None:
    """The admin-only part of a person's page: role change and two-step login reset."""
    return soup(html).select_one('section[aria-labelledby="staff-heading"]')


def second_factor_state(html: str) -> str:
    """The two-step login state a person's page shows: On or Off."""
    found = soup(html).select_one("#second-factor-state")
    assert found is not None
    return found.get_text(strip=True)


def events(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def live_sessions(db: Session, user: User) -> int:
    db.expire_all()
    query = select(func.count()).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    return db.scalar(query) or 0


# The arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_match_the_rfc_6238_sha1_test_vectors(unix_time: int, expected: str) -> None:
    at = datetime.fromtimestamp(unix_time, UTC)
    assert totp.code_at(RFC_SECRET, at, digits=8) == expected
    assert totp.code_at(RFC_SECRET, at) == expected[-6:]


def test_six_digit_codes_truncate_the_same_rfc_value() -> None:
    assert totp.hotp(RFC_KEY, 59 // 30, digits=8) == "94287082"
    assert totp.hotp(RFC_KEY, 59 // 30) == "287082"


def test_a_code_is_accepted_one_step_either_side_and_no_further() -> None:
    now = datetime(2026, 11, 28, 12, 0, 15, tzinfo=UTC)
    step = totp.time_step(now)
    for offset, accepted in [(-2, False), (-1, True), (0, True), (1, True), (2, False)]:
        code = totp.code_at(RFC_SECRET, now + offset * STEP)
        assert (totp.matching_step(RFC_SECRET, code, now) == step + offset) is accepted, offset
    assert totp.matching_step(RFC_SECRET, "287 082", datetime.fromtimestamp(59, UTC)) == 1
    assert totp.matching_step(RFC_SECRET, "28708", datetime.fromtimestamp(59, UTC)) is None
    assert totp.matching_step(RFC_SECRET, "abcdef", datetime.fromtimestamp(59, UTC)) is None


def test_the_qr_code_carries_the_key_in_the_format_apps_read() -> None:
    uri = totp.provisioning_uri("ABCDEF", account="ana@society.example", issuer="Portico")
    assert uri.startswith("otpauth://totp/Portico:ana@society.example?secret=ABCDEF&issuer=Portico")
    assert uri.endswith("&algorithm=SHA1&digits=6&period=30")


# Setting it up ----------------------------------------------------------------------------------


def test_a_reviewer_sets_up_two_step_login_with_the_key_shown_on_the_page(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    login(client, reviewer.email, PASSWORD)
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert soup(page.text).select_one(".two-factor__qr svg[role=img] title") is not None
    secret = secret_on(page.text)
    assert secret_on(client.get("/account/two-factor").text) == secret, "a reload keeps the same key"

    wrong = submit(client, "/account/two-factor", {"code": "000000" if code_now(secret) != "000000" else "1"})
    assert wrong.status_code == 422
    assert "This code is not right" in error_text(wrong.text)
    assert not second_factor.is_enabled(db, reviewer)

    done = submit(client, "/account/two-factor", {"code": code_now(secret)})
    assert done.status_code == 200
    codes = codes_on(done.text)
    assert len(codes) == 10 == len(set(codes))
    assert "Two-step login is on." in page_text(done.text)
    assert second_factor.is_enabled(db, reviewer)
    assert [event.actor_id for event in events(db, "account.second_factor_enabled")] == [reviewer.id]

    again = client.get("/account/two-factor")
    assert "Two-step login is on." in page_text(again.text)
    assert "Recovery codes left: 10" in page_text(again.text)
    assert not codes_on(again.text) and soup(again.text).select_one("#secret-key") is None


def test_secret_and_recovery_codes_are_not_stored_in_clear(db: Session, settings: Settings) -> None:
    user, secret, codes = enrolled(db, settings)
    row = db.scalars(select(SecondFactor).where(SecondFactor.user_id == user.id)).one()
    assert secret not in row.secret_sealed and secret.lower() not in row.secret_sealed.lower()
    assert second_factor.unseal(settings, row.secret_sealed, user_id=user.id) == secret
    assert second_factor.unseal(settings, row.secret_sealed, user_id=user.id + 1) is None
    other_key = settings.model_copy(update={"secret_key": "another-secret-key-of-enough-length"})
    assert second_factor.unseal(other_key, row.secret_sealed, user_id=user.id) is None
    stored = {r.code_hash for r in db.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id))}
    assert len(stored) == 10
    assert not {code for code in codes if any(code.replace("-", "") in h for h in stored)}


# The code step of the login ---------------------------------------------------------------------


def test_login_with_two_step_creates_the_session_only_after_the_code(
    client: TestClient, db: Session, settings: Settings
) -> None:
    editor, secret, _codes = enrolled(db, settings, role=Role.EDITOR)

    first = login(client, editor.email, PASSWORD, "/admin?from=login")
    assert first.status_code == 303 and first.headers["location"] == "/login/two-factor"
    assert sessions.cookie_name(settings) not in first.cookies
    assert live_sessions(db, editor) == 0
    assert client.get("/admin", follow_redirects=False).headers["location"].startswith("/login?next=")
    assert "Log in" in page_text(client.get("/").text)
    step = client.get("/login/two-factor")
    assert "Now enter the code your authenticator app shows." in page_text(step.text)

    refused = second_step(client, code="12345")
    assert refused.status_code == 422 and "This code is not right" in error_text(refused.text)
    assert live_sessions(db, editor) == 0

    done = second_step(client, code=code_now(secret))
    assert done.status_code == 303 and done.headers["location"] == "/admin?from=login"
    assert sessions.cookie_name(settings) in done.cookies
    assert live_sessions(db, editor) == 1
    assert client.get("/admin").status_code == 200
    assert [event.actor_id for event in events(db, "account.login")] == [editor.id]
    assert client.get("/login/two-factor", follow_redirects=False).headers["location"] == "/admin"


def test_the_same_code_cannot_be_used_twice(app: FastAPI, db: Session, settings: Settings) -> None:
    reviewer, secret, _codes = enrolled(db, settings)
    code = code_now(secret)
    with TestClient(app) as first, TestClient(app) as second:
        login(first, reviewer.email, PASSWORD)
        login(second, reviewer.email, PASSWORD)
        assert second_step(first, code=code).status_code == 303
        replay = second_step(second, code=code)
        assert replay.status_code == 422 and "used already" in error_text(replay.text)
        assert sessions.cookie_name(settings) not in replay.cookies
        # The app's next code works: a step later.
        with clock.travel(STEP):
            assert second_step(second, code=code_now(secret)).status_code == 303
    assert live_sessions(db, reviewer) == 2


def test_an_earlier_code_is_refused_once_a_later_one_was_used(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer, secret, _codes = enrolled(db, settings)
    login(client, reviewer.email, PASSWORD)
    assert second_step(client, code=code_now(secret, STEP)).status_code == 303
    logout(client)
    login(client, reviewer.email, PASSWORD)
    assert second_step(client, code=code_now(secret)).status_code == 422


def test_a_recovery_code_works_once(client: TestClient, db: Session, settings: Settings) -> None:
    reviewer, _secret, codes = enrolled(db, settings)
    login(client, reviewer.email, PASSWORD)
    used = second_step(client, recovery_code=codes[3].upper().replace("-", " "))
    assert used.status_code == 303 and used.headers["location"] == "/admin"
    assert "You logged in with a recovery code; 9 are left." in page_text(client.get("/admin").text)
    assert [e.reason for e in events(db, "account.recovery_code_used")] == ["9 recovery codes left"]

    logout(client)
    login(client, reviewer.email, PASSWORD)
    again = second_step(client, recovery_code=codes[3])
    assert again.status_code == 422 and "used already" in error_text(again.text)
    assert soup(again.text).select_one("details[open] #recovery_code") is not None
    assert second_step(client, recovery_code=codes[4]).status_code == 303
    assert second_factor.recovery_codes_left(db, reviewer) == 8


def test_wrong_codes_are_rate_limited(client: TestClient, db: Session, settings: Settings) -> None:
    reviewer, secret, _codes = enrolled(db, settings)
    login(client, reviewer.email, PASSWORD)
    wrong = "000000" if code_now(secret) != "000000" else "111111"
    statuses = [second_step(client, code=wrong).status_code for _ in range(5)]
    assert statuses == [422] * 5
    blocked = second_step(client, code=code_now(secret))
    assert blocked.status_code == 429 and "Too many attempts" in error_text(blocked.text)
    assert live_sessions(db, reviewer) == 0


def test_the_half_done_login_expires(client: TestClient, db: Session, settings: Settings) -> None:
    reviewer, secret, _codes = enrolled(db, settings)
    login(client, reviewer.email, PASSWORD)
    token = csrf_from(client, "/login/two-factor")
    with clock.travel(second_factor.HELD_FOR - timedelta(seconds=5)):
        assert soup(client.get("/login/two-factor").text).select_one("#code") is not None
    with clock.travel(second_factor.HELD_FOR + timedelta(seconds=1)):
        late = client.post(
            "/login/two-factor", data={"csrf_token": token, "code": code_now(secret)}, follow_redirects=False
        )
        assert late.status_code == 303 and late.headers["location"] == "/login"
        assert "waited too long" in page_text(client.get("/login").text)
        again = soup(client.get("/login/two-factor").text)
    assert again.select_one("#code") is None and again.select_one("#password") is not None
    assert live_sessions(db, reviewer) == 0


def test_a_half_done_login_that_timed_out_says_so_on_the_code_page(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer, _secret, _codes = enrolled(db, settings)
    login(client, reviewer.email, PASSWORD)
    with clock.travel(second_factor.HELD_FOR + timedelta(seconds=1)):
        page = client.get("/login/two-factor")
    assert page.status_code == 200 and "waited too long" in error_text(page.text)
    assert soup(page.text).select_one("#password") is not None


def test_a_password_changed_meanwhile_voids_the_half_done_login(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer, secret, _codes = enrolled(db, settings)
    login(client, reviewer.email, PASSWORD)
    reviewer.password_hash = "!"
    db.commit()
    assert second_step(client, code=code_now(secret)).headers["location"] == "/login"
    assert live_sessions(db, reviewer) == 0


def test_staff_without_two_step_login_log_in_with_the_password_alone(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    assert login(client, reviewer.email, PASSWORD).headers["location"] == "/admin"
    assert client.get("/admin").status_code == 200


# Admins -----------------------------------------------------------------------------------------


def test_an_admin_without_two_step_login_is_sent_to_set_it_up_and_can(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = factories.staff(db, settings, role=Role.ADMIN)
    assert login(client, admin.email, PASSWORD).headers["location"] == "/admin"
    for path in ("/admin", "/admin/users", "/admin/requests", "/admin/outbox"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/account/two-factor"), path
    posted = submit(client, "/account/two-factor", {"full_name": "X"}, action="/admin/users")
    assert posted.status_code == 303 and posted.headers["location"] == "/account/two-factor"

    page = client.get("/admin", follow_redirects=True)
    assert "Admins must use two-step login." in page_text(page.text)
    done = submit(client, "/account/two-factor", {"code": code_now(secret_on(page.text))})
    assert len(codes_on(done.text)) == 10
    assert "Add a staff account" in page_text(client.get("/admin/users").text)


def test_another_admin_resets_a_lost_device(app: FastAPI, db: Session, settings: Settings) -> None:
    admin, admin_secret, _codes = enrolled(db, settings, role=Role.ADMIN)
    reviewer, reviewer_secret, _codes = enrolled(db, settings, role=Role.REVIEWER)
    with TestClient(app) as boss, TestClient(app) as colleague:
        log_in_fully(colleague, reviewer, reviewer_secret)
        log_in_fully(boss, admin, admin_secret)
        # The reset moved from the staff list to each person's page under People.
        colleague_page = boss.get(f"/admin/users/{reviewer.id}").text
        section = staff_section(colleague_page)
        form = section.select_one('form[action$="second-factor/reset"]') if section else None
        assert second_factor_state(colleague_page) == "On" and form is not None
        own_page = boss.get(f"/admin/users/{admin.id}").text
        assert staff_section(own_page) is None, "an admin does not reset their own here"

        reset = submit(boss, f"/admin/users/{reviewer.id}", {}, action=str(form["action"]), follow=True)
        assert f"Two-step login of {reviewer.full_name} was reset" in page_text(reset.text)
        assert second_factor_state(reset.text) == "Off"

        (event,) = events(db, "account.second_factor_reset")
        assert (event.actor_id, event.target_id, event.before_state, event.after_state) == (
            admin.id,
            reviewer.id,
            "on",
            "off",
        )
        assert live_sessions(db, reviewer) == 0
        assert colleague.get("/admin", follow_redirects=False).headers["location"].startswith("/login?next=")
        assert login(colleague, reviewer.email, PASSWORD).headers["location"] == "/admin"
        assert db.scalar(select(func.count()).select_from(RecoveryCode)) == 10, "only the admin's remain"


def test_only_admins_reset_and_only_staff_accounts(app: FastAPI, db: Session, settings: Settings) -> None:
    admin, admin_secret, _codes = enrolled(db, settings, role=Role.ADMIN)
    reviewer, reviewer_secret, _codes = enrolled(db, settings, role=Role.REVIEWER)
    with TestClient(app) as colleague:
        log_in_fully(colleague, reviewer, reviewer_secret)
        denied = submit(colleague, "/", {}, action=f"/admin/users/{admin.id}/second-factor/reset")
        assert denied.status_code == 403
    with TestClient(app) as boss:
        log_in_fully(boss, admin, admin_secret)
        member = factories.applicant(db, settings).user
        missing = submit(boss, "/", {}, action=f"/admin/users/{member.id}/second-factor/reset")
        assert missing.status_code == 404
    assert second_factor.is_enabled(db, admin) and events(db, "account.second_factor_reset") == []


# Managing it ------------------------------------------------------------------------------------


def test_turning_two_step_login_off_needs_a_code(client: TestClient, db: Session, settings: Settings) -> None:
    reviewer, secret, _codes = enrolled(db, settings)
    log_in_fully(client, reviewer, secret)
    refused = submit(client, "/account/two-factor", {"code": ""}, action="/account/two-factor/disable")
    assert refused.status_code == 422 and second_factor.is_enabled(db, reviewer)
    with clock.travel(STEP):
        off = submit(
            client, "/account/two-factor", {"code": code_now(secret)}, action="/account/two-factor/disable"
        )
    assert off.status_code == 303
    assert not second_factor.is_enabled(db, reviewer)
    assert [event.actor_id for event in events(db, "account.second_factor_disabled")] == [reviewer.id]
    logout(client)
    assert login(client, reviewer.email, PASSWORD).headers["location"] == "/admin"


def test_new_recovery_codes_replace_the_old_ones(client: TestClient, db: Session, settings: Settings) -> None:
    reviewer, secret, old_codes = enrolled(db, settings)
    log_in_fully(client, reviewer, secret)
    renew = "/account/two-factor/recovery-codes"
    renewed = submit(client, "/account/two-factor", {"code": old_codes[0]}, action=renew)
    new_codes = codes_on(renewed.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert "Your earlier recovery codes no longer work." in page_text(renewed.text)
    logout(client)
    login(client, reviewer.email, PASSWORD)
    assert second_step(client, recovery_code=old_codes[1]).status_code == 422
    assert second_step(client, recovery_code=new_codes[0]).status_code == 303


def test_members_cannot_open_the_staff_second_factor_pages(
    client: TestClient, db: Session, settings: Settings
) -> None:
    member = factories.applicant(db, settings).user
    login(client, member.email, PASSWORD)
    assert client.get("/account/two-factor").status_code == 403
    assert db.scalar(select(func.count()).select_from(SecondFactor)) == 0


def test_codes_are_refused_once_the_secret_key_changed(
    app_with: Callable[..., FastAPI], db: Session, settings: Settings
) -> None:
    reviewer, secret, codes = enrolled(db, settings)
    with TestClient(app_with(secret_key="a-rotated-secret-key-of-enough-length")) as client:
        login(client, reviewer.email, PASSWORD)
        assert second_step(client, code=code_now(secret)).status_code == 422
        assert second_step(client, recovery_code=codes[0]).status_code == 422
        assert live_sessions(db, reviewer) == 0


def test_a_reset_from_the_command_line_is_recorded_as_the_system(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin, secret, _codes = enrolled(db, settings, role=Role.ADMIN)
    log_in_fully(client, admin, secret)
    assert second_factor.disable(db, admin, actor=None, ip="")
    db.commit()
    (event,) = events(db, "account.second_factor_reset")
    assert (event.actor_label, event.target_id) == ("system", admin.id)
    assert live_sessions(db, admin) == 0
    assert login(client, admin.email, PASSWORD).headers["location"] == "/admin"
    assert client.get("/admin", follow_redirects=False).headers["location"] == "/account/two-factor"


def test_the_command_line_removes_a_lost_second_factor(
    db: Session, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from app.cli import main

    admin = factories.staff(db, settings, role=Role.ADMIN)
    factories.second_factor(db, settings, admin)
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["reset-second-factor", admin.email])
    assert result.exit_code == 0 and f"Two-step login of {admin.email} removed." in result.output
    again = CliRunner().invoke(main, ["reset-second-factor", admin.email])
    assert f"{admin.email} had no two-step login." in again.output
    missing = CliRunner().invoke(main, ["reset-second-factor", "nobody@example.org"])
    assert missing.exit_code == 1 and "there is no account" in missing.output
