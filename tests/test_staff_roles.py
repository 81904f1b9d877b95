"""An admin changes a colleague's role; the change applies at once because their sessions end."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import page_text, soup


def as_admin(client: TestClient, db: Session, settings: Settings):  # type: ignore[no-untyped-def]
    admin = factories.staff(db, settings, role=Role.ADMIN)
    login(client, admin.email, factories.PASSWORD, secret=factories.second_factor(db, settings, admin))
    return admin


def test_a_role_change_ends_the_colleagues_sessions_and_is_audited(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    admin = as_admin(client, db, settings)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER, name="Rita Colleague")
    colleague = TestClient(app)
    login(colleague, reviewer.email, factories.PASSWORD)
    assert colleague.get("/admin/requests").status_code == 200
    page = f"/admin/users/{reviewer.id}"
    done = submit(client, page, {"role": "editor"}, action=f"/admin/users/{reviewer.id}/role", follow=True)
    assert "Rita Colleague is now editor; they must log in again." in page_text(done.text)
    assert str(done.url).endswith(page), "back on the colleague's page"
    db.refresh(reviewer)
    assert reviewer.role == Role.EDITOR
    assert colleague.get("/admin/requests", follow_redirects=False).headers["location"].startswith("/login")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "account.role_changed")).one()
    assert (event.actor_id, event.target_id, event.before_state, event.after_state) == (
        admin.id,
        reviewer.id,
        "reviewer",
        "editor",
    )
    login(colleague, reviewer.email, factories.PASSWORD)
    assert colleague.get("/admin/requests").status_code == 403


def test_an_admin_cannot_change_their_own_role(client: TestClient, db: Session, settings: Settings) -> None:
    admin = as_admin(client, db, settings)
    own = f"/admin/users/{admin.id}"
    assert soup(client.get(own).text).select_one(f'form[action="{own}/role"]') is None
    refused = submit(client, "/admin/users", {"role": "editor"}, action=f"{own}/role", follow=True)
    assert "You cannot change your own role" in page_text(refused.text)
    db.refresh(admin)
    assert admin.role == Role.ADMIN


def test_choosing_the_role_a_colleague_has_says_nothing_changed_and_keeps_their_sessions(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    as_admin(client, db, settings)
    editor = factories.staff(db, settings, role=Role.EDITOR, name="Ed Colleague")
    colleague = TestClient(app)
    login(colleague, editor.email, factories.PASSWORD)
    page = f"/admin/users/{editor.id}"
    done = submit(client, page, {"role": "editor"}, action=f"{page}/role", follow=True)
    text = page_text(done.text)
    assert "Ed Colleague is editor already; nothing changed." in text
    assert "they must log in again" not in text
    assert colleague.get("/admin/articles").status_code == 200
