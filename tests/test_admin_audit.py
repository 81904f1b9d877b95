"""The audit log: admins filter every recorded event, page through it and download it as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts.models import Role, User
from app.admin.audit_log import safe_cell
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.privacy import service as privacy
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text, soup


def as_admin(client: TestClient, db: Session, settings: Settings) -> User:
    admin = factories.staff(db, settings, role=Role.ADMIN, name="Ada Admin")
    login(client, admin.email, factories.PASSWORD, secret=factories.second_factor(db, settings, admin))
    return admin


def event(db: Session, at: datetime, action: str = "test.thing", **fields: object) -> AuditEvent:
    defaults: dict[str, object] = {"actor_label": "system", "target_type": "user", "target_id": None}
    row = AuditEvent(at=at, action=action, **{**defaults, **fields})
    db.add(row)
    db.commit()
    return row


def actions_listed(client: TestClient, query: str) -> list[str]:
    page = client.get(f"/admin/audit{query}")
    assert page.status_code == 200, page_text(page.text)
    return [row.select_one("td.audit-record code").get_text() for row in soup(page.text).select("tbody tr")]  # type: ignore[union-attr]


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_events_are_newest_first_and_filter_by_actor_action_and_target(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(
        db, settings, role=Role.REVIEWER, name="Rita Decider", email="rita@society.example"
    )
    rejected = factories.applicant(db, settings, state=RequestState.REJECTED, reviewer=reviewer)
    as_admin(client, db, settings)
    everything = actions_listed(client, "")
    assert everything[0] == "account.login" and everything[-1] == "account.created", "newest first"

    assert actions_listed(client, "?actor=rita@society") == ["request.rejected"]
    assert actions_listed(client, "?actor=Decider") == ["request.rejected"], "today's name of the actor"
    assert actions_listed(client, f"?actor={reviewer.id}") == ["request.rejected"]
    assert actions_listed(client, "?actor=system&action=account.created") == ["account.created"] * 2
    assert actions_listed(client, "?action=request.rejected") == ["request.rejected"]
    by_request = actions_listed(client, f"?target_type=access_request&target_id={rejected.id}")
    assert by_request == ["request.rejected", "request.verified", "request.submitted"]
    assert actions_listed(client, "?target_type=access_request&target_id=99999") == []

    page = soup(client.get("/admin/audit").text)
    offered = [option["value"] for option in page.select("#action option")]
    assert "request.rejected" in offered and "account.login" in offered and "made.up" not in offered
    assert [option["value"] for option in page.select("#target_type option")][1:] == [
        "access_request",
        "user",
    ]
    row = next(r for r in page.select("tbody tr") if "request.rejected" in r.get_text())
    assert row.select_one(f'a[href="/admin/requests/{rejected.id}"]') is not None
    assert row.select_one(f'a[href="/admin/users/{reviewer.id}"]').get_text() == "Rita Decider"  # type: ignore[union-attr]


def test_the_date_range_is_inclusive_in_utc(client: TestClient, db: Session, settings: Settings) -> None:
    as_admin(client, db, settings)
    event(db, datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), "before.range")
    event(db, datetime(2026, 4, 1, 0, 0, 0, tzinfo=UTC), "first.day")
    event(db, datetime(2026, 4, 30, 23, 59, 59, tzinfo=UTC), "last.day")
    event(db, datetime(2026, 5, 1, 0, 0, 0, tzinfo=UTC), "after.range")
    assert actions_listed(client, "?from=2026-04-01&to=2026-04-30") == ["last.day", "first.day"]
    assert actions_listed(client, "?from=2026-04-30&to=2026-04-30") == ["last.day"]
    assert actions_listed(client, "?to=2026-03-31") == ["before.range"]
    assert actions_listed(client, "?from=2026-05-01&to=2026-05-01") == ["after.range"]


def test_invalid_filters_say_what_is_wrong_and_keep_the_values(
    client: TestClient, db: Session, settings: Settings
) -> None:
    as_admin(client, db, settings)
    bad = client.get("/admin/audit?from=2026-02-30&to=yesterday&target_id=abc&actor=Rita")
    assert bad.status_code == 422
    page = soup(bad.text)
    assert page.select_one("#from-error").get_text() == "Enter a date as YYYY-MM-DD, for example 2026-11-28"
    assert page.select_one("#to-error") is not None and page.select_one("#target_id-error") is not None
    assert [page.select_one(f"#{name}")["value"] for name in ("from", "to", "target_id", "actor")] == [
        "2026-02-30",
        "yesterday",
        "abc",
        "Rita",
    ]
    assert "Correct the filters above" in page_text(bad.text) and page.select("tbody tr") == []
    backwards = client.get("/admin/audit?from=2026-05-02&to=2026-05-01")
    assert backwards.status_code == 422
    assert "The end date is before the start date" in page_text(backwards.text)
    huge = client.get("/admin/audit?target_id=99999999999999999999&actor=99999999999999999999")
    assert huge.status_code == 422 and "Enter the target's number" in page_text(huge.text)
    assert client.get("/admin/audit.csv?from=nope").status_code == 422


def test_the_log_pages_and_keeps_its_filters(client: TestClient, db: Session, settings: Settings) -> None:
    as_admin(client, db, settings)
    for number in range(55):
        event(db, datetime(2026, 6, 1, 12, number, tzinfo=UTC), f"bulk.{number:02d}", target_type="thing")
    first = client.get("/admin/audit?target_type=thing")
    assert "55 events match" in page_text(first.text) and "Page 1 of 2" in page_text(first.text)
    following = soup(first.text).select_one('a[rel="next"]')["href"]
    assert "target_type=thing" in following and "page=2" in following
    assert actions_listed(client, following) == [f"bulk.{n:02d}" for n in range(4, -1, -1)]
    assert "There is no page 7" in page_text(client.get("/admin/audit?target_type=thing&page=7").text)


def test_the_csv_holds_the_filtered_events_and_defuses_formulas(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = as_admin(client, db, settings)
    event(db, datetime(2026, 7, 1, 9, 30, tzinfo=UTC), "evil.one", reason='=HYPERLINK("http://x","y")')
    event(db, datetime(2026, 7, 2, 9, 30, tzinfo=UTC), "evil.two", reason="+1", actor_label="@attacker")
    event(db, datetime(2026, 7, 3, 9, 30, tzinfo=UTC), "evil.three", reason="-2", before_state="\tx")
    event(db, datetime(2026, 8, 1, tzinfo=UTC), "outside.range")
    response = client.get("/admin/audit.csv?from=2026-07-01&to=2026-07-31")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-')
    rows = csv_rows(response.text)
    assert [row["action"] for row in rows] == ["evil.three", "evil.two", "evil.one"]
    assert rows[2]["reason"] == '\'=HYPERLINK("http://x","y")' and rows[2]["at_utc"] == "2026-07-01T09:30:00Z"
    assert (rows[1]["reason"], rows[1]["actor"]) == ("'+1", "'@attacker")
    assert (rows[0]["reason"], rows[0]["from_state"]) == ("'-2", "'\tx")
    same = client.get("/admin/audit?format=csv&from=2026-07-01&to=2026-07-31")
    assert csv_rows(same.text) == rows

    logins = csv_rows(client.get("/admin/audit.csv?action=account.login").text)
    assert [(row["actor_id"], row["target_name"]) for row in logins] == [(str(admin.id), "Ada Admin")]
    page = soup(client.get("/admin/audit?action=account.login").text)
    assert page.select_one('a[href="/admin/audit.csv?action=account.login"]') is not None


def test_safe_cell_leaves_ordinary_text_alone() -> None:
    assert [safe_cell(v) for v in ("plain", 42, None, "a=b", "\rcmd", "")] == [
        "plain",
        "42",
        "",
        "a=b",
        "'\rcmd",
        "",
    ]


def test_a_deleted_person_shows_as_the_anonymous_marker(
    client: TestClient, db: Session, settings: Settings
) -> None:
    item = factories.applicant(db, settings, full_name="Erika Erased", email="erika@private.example")
    user = item.user
    privacy.delete_account(db, settings, user)
    db.commit()
    as_admin(client, db, settings)
    text = page_text(client.get("/admin/audit").text)
    exported = client.get("/admin/audit.csv").text
    marker = f"deleted-user-{user.id}"
    assert marker in text and marker in exported
    for erased in ("Erika", "erika@private.example"):
        assert erased not in text and erased not in exported
    assert marker in page_text(client.get(f"/admin/audit?actor={marker}").text)


def test_only_admins_open_the_log(client: TestClient, db: Session, settings: Settings) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    login(client, reviewer.email, factories.PASSWORD)
    for path in ("/admin/audit", "/admin/audit.csv", "/admin/audit?format=csv"):
        denied = client.get(path)
        assert denied.status_code == 403 and "account.login" not in denied.text, path
    assert "Audit log" not in page_text(client.get("/admin").text)
