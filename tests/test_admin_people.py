"""People: reviewers and admins find every account, open one, and end its sessions."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts import totp
from app.accounts.models import Role, User, UserSession
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.db import utcnow
from app.core.policy import Profession
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import page_text, soup


def as_admin(client: TestClient, db: Session, settings: Settings) -> tuple[User, str]:
    admin = factories.staff(db, settings, role=Role.ADMIN, name="Ada Admin")
    secret = factories.second_factor(db, settings, admin)
    login(client, admin.email, factories.PASSWORD, secret=secret)
    return admin, secret


def log_in_again(client: TestClient, admin: User, secret: str) -> None:
    """A second login of the same admin: the current code is spent, so use the next one."""
    submit(client, "/login", {"email": admin.email, "password": factories.PASSWORD})
    later = utcnow() + timedelta(seconds=totp.STEP_SECONDS)
    submit(client, "/login/two-factor", {"code": totp.code_at(secret, later)})


def as_reviewer(client: TestClient, db: Session, settings: Settings) -> User:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER, name="Rex Reviewer")
    login(client, reviewer.email, factories.PASSWORD)
    return reviewer


def names_listed(client: TestClient, query: str = "") -> list[str]:
    page = client.get(f"/admin/users{query}")
    assert page.status_code == 200
    return [row.select_one("td").get_text(strip=True) for row in soup(page.text).select("tbody tr")]


def events(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_reviewers_find_people_by_name_email_role_state_and_profession(
    client: TestClient, db: Session, settings: Settings
) -> None:
    made = {}
    for state in RequestState:
        made[state] = factories.applicant(
            db,
            settings,
            state=state,
            full_name=f"Dr. {state.value.title()} Person",
            email=f"{state.value}@x.example",
        )
    factories.applicant(
        db,
        settings,
        full_name="Pia Pharmacist",
        email="pia@pharmacy.example",
        profession=Profession.PHARMACIST,
    )
    factories.staff(db, settings, role=Role.EDITOR, name="Eddie Editor")
    as_reviewer(client, db, settings)

    assert names_listed(client, "?q=pharmacist") == ["Pia Pharmacist"]
    assert names_listed(client, "?q=PHARMACY.EXAMPLE") == ["Pia Pharmacist"], "email, any case"
    assert names_listed(client, "?q=%25") == [], "a % is a character, not a wildcard"
    assert names_listed(client, "?role=editor") == ["Eddie Editor"]
    reviewers = names_listed(client, "?role=reviewer")
    assert "Rex Reviewer" in reviewers and all(name.startswith(("Re", "Reviewer")) for name in reviewers)
    for state in RequestState:
        assert f"Dr. {state.value.title()} Person" in names_listed(client, f"?state={state.value}"), state
        assert len(names_listed(client, f"?state={state.value}")) == (2 if state == "pending" else 1), state
    no_request = names_listed(client, "?state=none")
    assert "Eddie Editor" in no_request and "Rex Reviewer" in no_request
    assert not any(name.startswith("Dr.") for name in no_request)
    assert names_listed(client, "?profession=pharmacist") == ["Pia Pharmacist"]
    assert names_listed(client, "?profession=pharmacist&state=approved") == []
    assert names_listed(client, "?role=member&q=approved") == ["Dr. Approved Person"]


def test_filters_are_kept_and_unknown_values_mean_any(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.applicant(db, settings, full_name="Kept Name")
    as_reviewer(client, db, settings)
    page = soup(client.get("/admin/users?q=Kept&state=pending&role=bogus&profession=nope&page=x").text)
    assert page.select_one("#q")["value"] == "Kept"
    assert page.select_one("#filter-state option[selected]")["value"] == "pending"
    assert page.select_one("#filter-role option[selected]") is None
    assert [row.select_one("td").get_text(strip=True) for row in page.select("tbody tr")] == ["Kept Name"]


def test_nobody_matching_says_so(client: TestClient, db: Session, settings: Settings) -> None:
    as_reviewer(client, db, settings)
    page = client.get("/admin/users?q=zzzz-nobody")
    assert "Nobody matches these filters" in page_text(page.text)
    assert soup(page.text).select("tbody tr") == []


def test_the_list_pages_and_keeps_its_filters(client: TestClient, db: Session, settings: Settings) -> None:
    for number in range(30):
        db.add(
            User(
                email=f"m{number:02d}@many.example",
                full_name=f"Many {number:02d}",
                password_hash="!",
                language="en",
            )
        )
    db.commit()
    as_reviewer(client, db, settings)
    first = client.get("/admin/users?q=many")
    assert "Page 1 of 2" in page_text(first.text) and "30 accounts match" in page_text(first.text)
    following = soup(first.text).select_one('a[rel="next"]')["href"]
    assert "q=many" in following and "page=2" in following
    assert names_listed(client, following) == [f"Many {n}" for n in range(25, 30)]
    assert "There is no page 9" in page_text(client.get("/admin/users?q=many&page=9").text)


def test_only_admins_see_and_use_the_staff_form(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    as_reviewer(client, db, settings)
    listing = soup(client.get("/admin/users").text)
    assert listing.select_one('form[action="/admin/users"][method="post"]') is None
    wanted = {"full_name": "N", "email": "n@society.example", "role": "admin"}
    refused = submit(client, "/admin/users?q=x", wanted, action="/admin/users")
    assert refused.status_code == 403
    assert db.scalar(select(User).where(User.email == "n@society.example")) is None


def test_the_person_page_shows_requests_decisions_sessions_and_trail(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER, name="Rita Decider")
    item = factories.applicant(
        db, settings, state=RequestState.REJECTED, reviewer=reviewer, full_name="Otto Applicant"
    )
    with TestClient(app) as member:
        login(member, item.user.email, factories.PASSWORD, next_path="/account")
        as_admin(client, db, settings)
        member_page = client.get(f"/admin/users/{item.user_id}")
        text = page_text(member_page.text)
        assert "Otto Applicant" in text and item.user.email in text
        requests = soup(member_page.text).select_one("#requests-caption")
        assert requests is not None and "1 request" in requests.get_text()
        assert soup(member_page.text).select_one(f'a[href="/admin/requests/{item.id}"]') is not None
        assert "rejected" in text
        assert "1 open session" in text, "the member's browser"
        trail = soup(member_page.text).select_one("#trail-heading + ol")
        assert trail is not None
        said = " ".join(trail.get_text().split())  # a name is a link: its text runs on into "'s"
        assert f"{reviewer.full_name} did not approve Otto Applicant's request" in said, "the trail"

        staff_page = client.get(f"/admin/users/{reviewer.id}").text
        assert "What they did" in page_text(staff_page) and "Two-step login Off" in page_text(staff_page)
        caption = soup(staff_page).select_one("#decisions-caption")
        assert caption is not None and caption.parent is not None
        decisions = " ".join(caption.parent.get_text().split())
        assert f"{reviewer.full_name} did not approve Otto Applicant's request" in decisions


def test_ending_a_session_logs_that_browser_out_and_is_audited(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    item = factories.applicant(db, settings, state=RequestState.APPROVED, full_name="Pat Professional")
    with TestClient(app) as laptop, TestClient(app) as phone:
        login(laptop, item.user.email, factories.PASSWORD)
        login(phone, item.user.email, factories.PASSWORD)
        assert laptop.get("/account").status_code == 200
        reviewer = as_reviewer(client, db, settings)
        page = f"/admin/users/{item.user_id}"
        forms = soup(client.get(page).text).select('form[action$="/end"]')
        assert len(forms) == 3, "one per session and one for all"
        newest = db.scalars(
            select(UserSession).where(UserSession.user_id == item.user_id).order_by(UserSession.id.desc())
        ).first()
        assert newest is not None
        done = submit(client, page, {}, action=f"{page}/sessions/{newest.id}/end", follow=True)
        assert "That session of Pat Professional has ended" in page_text(done.text)
        assert "1 open session" in page_text(done.text)
        assert phone.get("/account", follow_redirects=False).headers["location"].startswith("/login")
        assert laptop.get("/account").status_code == 200, "the other browser stays logged in"
        (event,) = events(db, "account.session_ended")
        assert (event.actor_id, event.target_type, event.target_id) == (reviewer.id, "user", item.user_id)

        again = submit(client, page, {}, action=f"{page}/sessions/{newest.id}/end", follow=True)
        assert "That session had already ended" in page_text(again.text)
        assert len(events(db, "account.session_ended")) == 1

        everywhere = submit(client, page, {}, action=f"{page}/sessions/end", follow=True)
        assert "1 session of Pat Professional ended" in page_text(everywhere.text)
        assert "logged out everywhere" in page_text(everywhere.text)
        assert laptop.get("/account", follow_redirects=False).headers["location"].startswith("/login")
        (event,) = events(db, "account.sessions_ended")
        assert (event.actor_id, event.target_id, event.after_state) == (reviewer.id, item.user_id, "1 ended")


def test_a_reviewer_cannot_end_staff_sessions_or_change_roles(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    editor = factories.staff(db, settings, role=Role.EDITOR, name="Ed Colleague")
    with TestClient(app) as colleague:
        login(colleague, editor.email, factories.PASSWORD)
        as_reviewer(client, db, settings)
        page = f"/admin/users/{editor.id}"
        html = client.get(page).text
        assert soup(html).select('form[action*="/sessions/"]') == []
        assert soup(html).select_one('form[action$="/role"]') is None
        assert "Only admins end the sessions of staff accounts" in page_text(html)
        (session,) = db.scalars(select(UserSession).where(UserSession.user_id == editor.id)).all()
        assert submit(client, page, {}, action=f"{page}/sessions/{session.id}/end").status_code == 403
        assert submit(client, page, {}, action=f"{page}/sessions/end").status_code == 403
        assert submit(client, page, {"role": "admin"}, action=f"{page}/role").status_code == 403
        db.refresh(editor)
        assert editor.role == Role.EDITOR
        assert colleague.get("/admin").status_code == 200, "still logged in"
        assert events(db, "account.session_ended") == events(db, "account.sessions_ended") == []


def test_an_admin_ends_a_colleagues_sessions_but_not_their_own_current_one(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    editor = factories.staff(db, settings, role=Role.EDITOR, name="Ed Colleague")
    with TestClient(app) as colleague, TestClient(app) as other_browser:
        login(colleague, editor.email, factories.PASSWORD)
        admin, secret = as_admin(client, db, settings)
        page = f"/admin/users/{editor.id}"
        done = submit(client, page, {}, action=f"{page}/sessions/end", follow=True)
        assert "1 session of Ed Colleague ended" in page_text(done.text)
        assert colleague.get("/admin", follow_redirects=False).headers["location"].startswith("/login")

        log_in_again(other_browser, admin, secret)
        assert other_browser.get("/admin").status_code == 200
        own = f"/admin/users/{admin.id}"
        html = client.get(own).text
        assert "This session of yours (log out to end it)" in page_text(html)
        mine = db.scalars(
            select(UserSession)
            .where(UserSession.user_id == admin.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.id)
        ).all()
        current = mine[0].id  # `client` logged in first
        refused = submit(client, own, {}, action=f"{own}/sessions/{current}/end", follow=True)
        assert "This is the session you are using now" in page_text(refused.text)
        everywhere = submit(client, own, {}, action=f"{own}/sessions/end", follow=True)
        assert "This session of yours stays open" in page_text(everywhere.text)
        assert client.get("/admin").status_code == 200
        assert other_browser.get("/admin", follow_redirects=False).headers["location"].startswith("/login")


def test_an_editor_may_not_open_people_or_the_audit_log(
    client: TestClient, db: Session, settings: Settings
) -> None:
    editor = factories.staff(db, settings, role=Role.EDITOR)
    member = factories.applicant(db, settings).user
    login(client, editor.email, factories.PASSWORD)
    for path in ("/admin/users", f"/admin/users/{member.id}", "/admin/audit", "/admin/audit.csv"):
        denied = client.get(path)
        assert denied.status_code == 403 and member.full_name not in denied.text, path
    assert submit(client, "/", {}, action=f"/admin/users/{member.id}/sessions/end").status_code == 403


def test_a_missing_person_is_a_clear_404(client: TestClient, db: Session, settings: Settings) -> None:
    as_reviewer(client, db, settings)
    missing = client.get("/admin/users/99999")
    assert missing.status_code == 404 and "Page not found" in page_text(missing.text)


def test_odd_input_is_answered_without_an_error(client: TestClient, db: Session, settings: Settings) -> None:
    as_admin(client, db, settings)
    huge = "99999999999999999999"
    for path in (f"/admin/users/{huge}", "/admin/users/-1"):
        assert client.get(path).status_code == 404, path
    for action in (
        f"/admin/users/{huge}/sessions/end",
        f"/admin/users/1/sessions/{huge}/end",
        f"/admin/users/{huge}/role",
    ):
        assert submit(client, "/", {}, action=action).status_code == 404, action
    odd = client.get("/admin/users?q=%00Ada&role=%00&page=99999999999")
    assert odd.status_code == 200 and "There is no page" in page_text(odd.text)
    assert client.get("/admin/audit?actor=%00&action=%00&target_type=%00").status_code == 200
    assert client.get(f"/admin/audit?actor={huge}").status_code == 200


def test_a_staff_name_too_long_for_the_account_is_refused_and_kept_not_cut(
    client: TestClient, db: Session, settings: Settings
) -> None:
    as_admin(client, db, settings)
    long_name = "Dr. " + "Longname" * 30
    wanted = {"full_name": long_name, "email": "long@society.example", "role": "editor"}
    refused = submit(client, "/admin/users", wanted)
    assert refused.status_code == 422
    assert "Use at most 200 characters for the name" in page_text(refused.text)
    kept = soup(refused.text).select_one('input[name="full_name"]')
    assert kept is not None and kept["value"] == long_name
    assert db.scalar(select(User).where(User.email == "long@society.example")) is None
