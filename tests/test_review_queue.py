"""Reviewers work through the queue quickly: each row shows its checks and can be filtered by
them, a decision leads to the next waiting request, and the page lists its keyboard shortcuts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role
from app.core.config import Settings
from app.core.db import utcnow
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import page_text, soup

BAD_NPI = "1234567890"  # the check digit should be 3


def as_reviewer(client: TestClient, db: Session, settings: Settings) -> None:
    login(client, factories.staff(db, settings, role=Role.REVIEWER).email, factories.PASSWORD)


def rows(client: TestClient, query: str = "") -> dict[str, str]:
    """Each queue row's applicant and the text of its checks cell."""
    table = soup(client.get(f"/admin/requests{query}").text)
    found = {}
    for row in table.select("tbody tr"):
        name = row.select_one("td a").get_text()
        found[name] = " | ".join(li.get_text(strip=True) for li in row.select(".row-checks li"))
    return found


def waited(db: Session, request: AccessRequest, days: int) -> None:
    request.submitted_at = utcnow() - timedelta(days=days)
    db.commit()


def test_each_row_shows_the_requests_checks(client: TestClient, db: Session, settings: Settings) -> None:
    factories.applicant(db, settings, full_name="Dr. Clean")
    factories.applicant(db, settings, full_name="Dr. Bad Digit", licence_number=BAD_NPI)
    factories.applicant(
        db, settings, full_name="Dr. Twin", licence_number=BAD_NPI, email="twin@mailinator.com"
    )
    with_document = factories.applicant(db, settings, full_name="Dr. Documented")
    with_document.document_path = "/nowhere/licence.pdf"
    db.commit()
    as_reviewer(client, db, settings)

    shown = rows(client)

    assert shown["Dr. Clean"] == (
        "Licence valid | Licence used nowhere else | Email domain unknown | No document"
    )
    assert shown["Dr. Bad Digit"] == (
        "Licence not valid | Licence used by another account | Email domain unknown | No document"
    )
    assert shown["Dr. Twin"] == (
        "Licence not valid | Licence used by another account | Email domain disposable | No document"
    )
    assert shown["Dr. Documented"].endswith("| Document attached")


def test_the_queue_filters_by_checks_document_and_waiting_time(
    client: TestClient, db: Session, settings: Settings
) -> None:
    clean = factories.applicant(db, settings, full_name="Dr. Clean")
    factories.applicant(db, settings, full_name="Dr. Bad Digit", licence_number=BAD_NPI)
    documented = factories.applicant(db, settings, full_name="Dr. Documented", email="d@mailinator.com")
    documented.document_path = "/nowhere/licence.pdf"
    waited(db, clean, 10)
    as_reviewer(client, db, settings)

    assert list(rows(client, "?checks=failed")) == ["Dr. Bad Digit", "Dr. Documented"]
    assert list(rows(client, "?checks=clean")) == ["Dr. Clean"]
    assert list(rows(client, "?document=attached")) == ["Dr. Documented"]
    assert list(rows(client, "?document=missing")) == ["Dr. Clean", "Dr. Bad Digit"]
    assert list(rows(client, "?waiting=7")) == ["Dr. Clean"]
    assert list(rows(client, "?checks=failed&waiting=7")) == []
    page = soup(client.get("/admin/requests?checks=clean&waiting=7").text)
    assert page.select_one("#checks option[selected]").get_text() == "All checks passed"
    assert page.select_one("#waiting")["value"] == "7"
    # Nonsense in the address is no filter, not an error.
    assert len(rows(client, "?checks=maybe&document=x&waiting=-3")) == 3


def decide(client: TestClient, request: AccessRequest, decision: str, **data: str) -> Any:
    page = f"/admin/requests/{request.id}"
    revision = soup(client.get(page).text).select_one('input[name="revision"]')["value"]
    return submit(client, page, {"revision": revision, **data}, action=f"{page}/{decision}")


def three_waiting(
    client: TestClient, db: Session, settings: Settings
) -> tuple[AccessRequest, AccessRequest, AccessRequest]:
    """Dr. A, B and C, waiting 3, 2 and 1 days; `client` logged in as a reviewer."""
    first, second, third = (factories.applicant(db, settings, full_name=f"Dr. {n}") for n in ("A", "B", "C"))
    for days, request in zip((3, 2, 1), (first, second, third), strict=True):
        waited(db, request, days)
    as_reviewer(client, db, settings)
    return first, second, third


def test_a_decision_leads_to_the_next_waiting_request(
    client: TestClient, db: Session, settings: Settings
) -> None:
    first, second, third = three_waiting(client, db, settings)

    after_second = decide(client, second, "approve")
    assert after_second.headers["location"] == f"/admin/requests/{third.id}#main"
    after_third = decide(client, third, "reject", reason="No licence.")
    # The one skipped before comes next; then the queue, with nothing left to wait.
    assert after_third.headers["location"] == f"/admin/requests/{first.id}#main"
    after_first = decide(client, first, "request-info", question="Which clinic?")
    assert after_first.headers["location"] == "/admin/requests"
    db.expire_all()
    assert [first.state, second.state, third.state] == [
        RequestState.NEEDS_INFO,
        RequestState.APPROVED,
        RequestState.REJECTED,
    ]


def test_the_request_page_lists_its_shortcuts_and_neighbours(
    client: TestClient, db: Session, settings: Settings
) -> None:
    first, second, third = three_waiting(client, db, settings)

    html = client.get(f"/admin/requests/{second.id}").text
    page = soup(html)

    keys = {str(b["aria-keyshortcuts"]): b.get_text(strip=True) for b in page.select("[aria-keyshortcuts]")}
    assert keys == {
        "A": "Approve",
        "R": "Reject",
        "I": "Ask for more information",
        "P K": "Previous waiting request",
        "N J": "Next waiting request",
    }
    assert page.select_one('a[rel="prev"]')["href"] == f"/admin/requests/{first.id}"
    assert page.select_one('a[rel="next"]')["href"] == f"/admin/requests/{third.id}"
    assert [k.get_text() for k in page.select(".shortcuts kbd")] == ["A", "R", "I", "N", "J", "P", "K"]
    assert "A approve" in page_text(html)
    assert "/static/review-keys.js" in [s["src"].split("?")[0] for s in page.select("script[src]")]
    assert page.title.get_text() == "Request of Dr. B · Portico"
    queue = soup(client.get("/admin/requests").text)
    start = queue.select_one('a[aria-keyshortcuts="N J"]')
    assert start["href"] == f"/admin/requests/{first.id}"


def test_the_approve_key_never_confirms_an_approval_against_a_failed_check(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, full_name="Dr. Bad Digit", licence_number=BAD_NPI)
    as_reviewer(client, db, settings)

    first = decide(client, request, "approve")

    assert first.status_code == 409
    page = soup(first.text)
    confirm = page.select_one("form.decision--override button")
    assert confirm.get_text(strip=True) == "Approve despite: Licence number not valid"
    assert not confirm.has_attr("aria-keyshortcuts")
    assert "A" not in [k.get_text() for k in page.select(".shortcuts kbd")]
    assert page.select('[aria-keyshortcuts="A"]') == []
    db.expire_all()
    assert request.state == RequestState.PENDING
