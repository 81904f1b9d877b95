"""Reviewing at scale: deciding several requests at once, and the queue's figures on the dashboard."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import service as access_service
from app.access import stats
from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role, User
from app.admin.views import PRESET_REASONS
from app.audit.models import AuditEvent
from app.core import clock
from app.core.config import Settings
from app.core.db import utcnow
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from, login, mails
from tests.conftest import page_text, soup

DAY = timedelta(days=1)


def as_reviewer(client: TestClient, db: Session, settings: Settings, **fields: str) -> User:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER, **fields)
    login(client, reviewer.email, factories.PASSWORD)
    return reviewer


def queue_page(client: TestClient, query: str = "") -> tuple[str, str, dict[str, str]]:
    """Open the queue as a reviewer sees it: the bulk form's address, its token and a box per name."""
    html = soup(client.get(f"/admin/requests{query}").text)
    form = html.select_one("form#decide-selected")
    assert form is not None, "the queue page has no form to decide several requests"
    boxes = {}
    for row in html.select("tbody tr"):
        box = row.select_one('input[type="checkbox"][name="selected"]')
        if box is not None:
            assert box["form"] == "decide-selected"
            boxes[row.select_one("td a").get_text()] = str(box["value"])
    token = form.select_one('input[name="csrf_token"]')["value"]
    return str(form["action"]), str(token), boxes


def decide_selected(client: TestClient, names: list[str], query: str = "", **data: str) -> Response:
    """Tick the named requests on the queue page and send the form below the table."""
    action, token, boxes = queue_page(client, query)
    return post_choices(client, action, token, [boxes[name] for name in names], **data)


def post_choices(client: TestClient, action: str, token: str, choices: list[str], **data: str) -> Response:
    form = {"csrf_token": token, "selected": choices, **data}
    return client.post(action, data=form, follow_redirects=False)


def decisions(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def states(db: Session, *requests: AccessRequest) -> list[RequestState]:
    db.expire_all()
    return [request.state for request in requests]


def test_only_requests_still_open_can_be_ticked(client: TestClient, db: Session, settings: Settings) -> None:
    factories.applicant(db, settings, full_name="Dr. Pending")
    factories.applicant(db, settings, full_name="Dr. Asked", state=RequestState.NEEDS_INFO)
    factories.applicant(db, settings, full_name="Dr. Approved", state=RequestState.APPROVED)
    factories.applicant(db, settings, full_name="Dr. Rejected", state=RequestState.REJECTED)
    as_reviewer(client, db, settings)
    _action, _token, boxes = queue_page(client, "?status=all")
    assert sorted(boxes) == ["Dr. Asked", "Dr. Pending"]
    page = soup(client.get("/admin/requests?status=all").text)
    assert page.select_one('label[for^="select-"]').get_text() == "Select the request of Dr. Pending"
    decided_only = client.get("/admin/requests?status=approved").text
    assert soup(decided_only).select_one("form#decide-selected") is None


def test_approving_three_at_once_decides_each_with_its_own_audit_event_and_email(
    client: TestClient, db: Session, settings: Settings
) -> None:
    first = factories.applicant(db, settings, full_name="Dr. One", email="one@clinic.example")
    second = factories.applicant(db, settings, full_name="Dr. Two", email="two@clinic.example")
    third = factories.applicant(
        db, settings, full_name="Dr. Three", email="three@clinic.example", state=RequestState.NEEDS_INFO
    )
    untouched = factories.applicant(db, settings, full_name="Dr. Not Ticked")
    reviewer = as_reviewer(client, db, settings)

    response = decide_selected(
        client, ["Dr. One", "Dr. Two", "Dr. Three"], "?status=all", decision="approve", reason="ignored"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/requests?status=&profession="
    shown = page_text(client.get(response.headers["location"]).text)
    assert "3 approved. Each applicant has been emailed." in shown

    assert states(db, first, second, third, untouched) == [RequestState.APPROVED] * 3 + [RequestState.PENDING]
    events = decisions(db, "request.approved")
    assert [e.target_id for e in events] == [first.id, second.id, third.id]
    assert {e.actor_id for e in events} == {reviewer.id}
    assert [e.before_state for e in events] == ["pending", "pending", "needs_info"]
    assert {e.reason for e in events} == {""}
    for email in ("one@clinic.example", "two@clinic.example", "three@clinic.example"):
        assert len(mails(db, email, "approved")) == 1
    assert mails(db, untouched.user.email, "approved") == []
    assert {r.decided_by_id for r in (first, second, third)} == {reviewer.id}


def test_rejecting_several_needs_a_reason_and_without_one_changes_nothing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    first = factories.applicant(db, settings, full_name="Dr. One")
    second = factories.applicant(db, settings, full_name="Dr. Two")
    as_reviewer(client, db, settings)

    refused = decide_selected(client, ["Dr. One", "Dr. Two"], decision="reject", reason="")
    assert refused.status_code == 422
    page = soup(refused.text)
    assert page.select_one("#reason-error").get_text() == (
        "A rejection needs a reason: pick a usual one or write your own."
    )
    assert [box["value"] for box in page.select('input[name="selected"][checked]')] == [
        f"{first.id}:{first.revision}",
        f"{second.id}:{second.revision}",
    ]
    assert page.select_one("#decision option[selected]")["value"] == "reject"
    assert states(db, first, second) == [RequestState.PENDING] * 2
    assert decisions(db, "request.rejected") == []
    assert mails(db, first.user.email, "rejected") == mails(db, second.user.email, "rejected") == []


def test_an_over_long_reason_for_several_is_refused_with_a_message_not_cut(
    client: TestClient, db: Session, settings: Settings
) -> None:
    first = factories.applicant(db, settings, full_name="Dr. One")
    as_reviewer(client, db, settings)
    typed = "Not a licensed profession. " * 200  # 5,400 characters
    refused = decide_selected(client, ["Dr. One"], decision="reject", reason=typed)
    assert refused.status_code == 422
    page = soup(refused.text)
    assert page.select_one("#reason-error").get_text().startswith("Keep the reason to 5000 characters")
    assert page.select_one('textarea[name="reason"]').get_text() == typed.strip()
    assert states(db, first) == [RequestState.PENDING]
    assert mails(db, first.user.email, "rejected") == []


def test_a_usual_reason_can_be_picked_and_own_words_take_its_place(
    client: TestClient, db: Session, settings: Settings
) -> None:
    first = factories.applicant(db, settings, full_name="Dr. One")
    second = factories.applicant(db, settings, full_name="Dr. Two")
    as_reviewer(client, db, settings)
    options = soup(client.get("/admin/requests").text).select("#preset option")
    assert [o.get_text() for o in options[1:]] == PRESET_REASONS

    done = decide_selected(client, ["Dr. One"], decision="reject", preset="1", reason="")
    assert "1 rejected." in page_text(client.get(done.headers["location"]).text)
    decide_selected(client, ["Dr. Two"], decision="reject", preset="1", reason="Not a clinician.")
    db.expire_all()
    assert (first.state, first.decision_reason) == (RequestState.REJECTED, PRESET_REASONS[1])
    assert second.decision_reason == "Not a clinician."
    [mail] = mails(db, first.user.email, "rejected")
    assert PRESET_REASONS[1] in mail.text_body
    assert [e.reason for e in decisions(db, "request.rejected")] == [PRESET_REASONS[1], "Not a clinician."]


def test_a_request_that_changed_after_the_page_was_loaded_is_skipped_and_named(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    first = factories.applicant(db, settings, full_name="Dr. One")
    taken = factories.applicant(db, settings, full_name="Dr. Taken", email="taken@clinic.example")
    answered = factories.applicant(db, settings, full_name="Dr. Answered", state=RequestState.NEEDS_INFO)
    as_reviewer(client, db, settings)
    action, token, boxes = queue_page(client, "?status=all")

    colleague = factories.staff(db, settings, role=Role.REVIEWER, name="Rita Colleague")
    access_service.decide(
        db, settings, taken, reviewer=colleague, outcome=RequestState.REJECTED, revision=taken.revision,
        reason="No licence.",
    )  # fmt: skip
    # Still open, but not as the reviewer saw it: the applicant has answered the question since.
    access_service.answer(db, settings, answered, text="The Vienna chamber.", ip="")
    db.commit()

    response = post_choices(client, action, token, list(boxes.values()), decision="approve")
    flash = soup(client.get(response.headers["location"]).text).select_one(".flash")
    assert flash["class"] == ["flash", "flash--warning"]
    skipped = "2 skipped because they changed meanwhile (Dr. Taken, Dr. Answered)"
    assert flash.get_text() == f"1 approved; {skipped}."
    assert states(db, first, taken, answered) == [
        RequestState.APPROVED,
        RequestState.REJECTED,
        RequestState.PENDING,
    ]
    assert taken.decided_by_id == colleague.id and taken.decision_reason == "No licence."
    assert [e.target_id for e in decisions(db, "request.approved")] == [first.id]
    assert [e.actor_id for e in decisions(db, "request.rejected")] == [colleague.id]
    told = [m.message for m in mails(db, "taken@clinic.example")]
    assert told.count("rejected") == 1 and "approved" not in told


def test_nothing_ticked_is_refused_with_a_message(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, full_name="Dr. One")
    as_reviewer(client, db, settings)
    response = decide_selected(client, [], decision="approve")
    assert response.status_code == 422
    assert soup(response.text).select_one("#selected-error").get_text() == "Select at least one request."
    assert "Select at least one request." in page_text(soup(response.text).select_one(".error-summary").text)
    action, token, _boxes = queue_page(client)
    garbled = post_choices(
        client, action, token, ["\u00b2:1", "99999999999:1", f"{request.id}"], decision="approve"
    )
    assert garbled.status_code == 422 and "Select at least one request." in page_text(garbled.text)
    assert states(db, request) == [RequestState.PENDING]
    assert decisions(db, "request.approved") == []


def test_only_reviewers_decide_in_bulk(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, full_name="Dr. One")
    choice = f"{request.id}:{request.revision}"
    editor = factories.staff(db, settings, role=Role.EDITOR)
    member = factories.applicant(db, settings, state=RequestState.APPROVED).user
    for person in (editor, member):
        with TestClient(app) as browser:
            login(browser, person.email, factories.PASSWORD)
            token = csrf_from(browser, "/forgot-password")
            refused = post_choices(browser, "/admin/requests", token, [choice], decision="approve")
            assert refused.status_code == 403 and "Not allowed" in page_text(refused.text)
    token = csrf_from(client, "/forgot-password")
    visitor = post_choices(client, "/admin/requests", token, [choice], decision="approve")
    assert visitor.headers["location"].startswith("/login?next=")
    assert states(db, request) == [RequestState.PENDING]
    assert [e for e in decisions(db, "request.approved") if e.target_id == request.id] == []


def decided(
    db: Session, settings: Settings, reviewer: User, *, submitted: timedelta, decided: timedelta
) -> AccessRequest:
    """A request submitted `submitted` ago and approved `decided` ago."""
    with clock.travel(-submitted):
        request = factories.applicant(db, settings)
    with clock.travel(-decided):
        access_service.decide(
            db, settings, request, reviewer=reviewer, outcome=RequestState.APPROVED, revision=request.revision
        )
        db.commit()
    return request


def figure(html: str, name: str) -> str:
    return page_text(str(soup(html).select_one(f"#stat-{name}")))


def test_the_dashboard_shows_the_queue_size_and_the_oldest_wait(
    client: TestClient, db: Session, settings: Settings
) -> None:
    with clock.travel(-10 * DAY - timedelta(hours=2)):
        factories.applicant(db, settings)
    with clock.travel(-3 * DAY):
        factories.applicant(db, settings, state=RequestState.NEEDS_INFO)
    with clock.travel(-20 * DAY):
        factories.applicant(db, settings, state=RequestState.UNVERIFIED)
        factories.applicant(db, settings, state=RequestState.APPROVED)
    factories.applicant(db, settings)
    as_reviewer(client, db, settings)
    page = client.get("/admin").text
    assert figure(page, "waiting").startswith("3 requests")
    assert figure(page, "oldest").startswith("10 days, since")


def test_the_median_time_to_decision_counts_decisions_of_the_last_30_days_only(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    decided(db, settings, reviewer, submitted=10 * DAY, decided=9 * DAY)  # 1 day
    decided(db, settings, reviewer, submitted=10 * DAY, decided=7 * DAY)  # 3 days
    decided(db, settings, reviewer, submitted=29 * DAY, decided=21 * DAY)  # 8 days
    # Outside the window: counted, these two would move the median to 8 days.
    decided(db, settings, reviewer, submitted=70 * DAY, decided=40 * DAY)
    decided(db, settings, reviewer, submitted=61 * DAY, decided=31 * DAY)
    login(client, reviewer.email, factories.PASSWORD)
    page = client.get("/admin").text
    assert figure(page, "median") == "3 days, over 3 decisions in the last 30 days"
    assert figure(page, "waiting") == "No request is waiting."

    decided(db, settings, reviewer, submitted=6 * DAY, decided=1 * DAY)  # 5 days: the median is now 4
    figures = stats.review_stats(db, now=utcnow())
    assert (figures.decided, figures.median_to_decision is not None) == (4, True)
    assert timedelta(days=4) <= figures.median_to_decision < timedelta(days=4, minutes=1)  # type: ignore[operator]


def test_the_dashboard_says_plainly_when_nothing_waits_or_was_decided(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    decided(db, settings, reviewer, submitted=50 * DAY, decided=45 * DAY)
    login(client, reviewer.email, factories.PASSWORD)
    page = client.get("/admin").text
    assert figure(page, "waiting") == "No request is waiting."
    assert figure(page, "oldest") == "Nothing is waiting."
    assert figure(page, "median") == "No decisions in the last 30 days."
