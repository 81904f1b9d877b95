"""The contact form and the staff inbox: messages stored, mailed to the society, answered and closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.contact import service as contact_service
from app.contact.models import ContactMessage, ContactReply
from app.core import clock
from app.core.config import Settings
from app.jobs import tick
from app.mail import service as mail_service
from app.mail.models import OutboxMessage
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, mails, submit
from tests.conftest import page_text, soup

GOOD = {
    "name": "Ada Reader",
    "email": "ada@reader.example",
    "subject": "A question about sleep",
    "message": "Is there an article on sleep and immunity?\nThank you.",
    "consent": "on",
}
OFFICE = ["office@society.example", "press@society.example"]


@pytest.fixture
def offices(settings: Settings) -> list[str]:
    settings.contact_emails = ", ".join(OFFICE)
    return OFFICE


def stored(db: Session) -> list[ContactMessage]:
    db.expire_all()
    return list(db.scalars(select(ContactMessage).order_by(ContactMessage.id)))


def outbox_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMessage)) or 0


GOOD_FIELDS = {key: GOOD[key] for key in ("name", "email", "subject", "message")}


def message(db: Session, settings: Settings, **fields: str) -> ContactMessage:
    """A message as the form would store it, committed."""
    submission = contact_service.Submission(**{**GOOD_FIELDS, **fields})
    item = contact_service.send(db, settings, submission=submission)
    db.commit()
    return item


def staff_browser(
    app: FastAPI, db: Session, settings: Settings, role: Role = Role.EDITOR
) -> tuple[TestClient, User]:
    client = TestClient(app)
    person = factories.staff(db, settings, role=role, name=f"Sam {role.value.capitalize()}")
    secret = factories.second_factor(db, settings, person) if role == Role.ADMIN else ""
    login(client, person.email, factories.PASSWORD, secret=secret)
    return client, person


# The public form ---------------------------------------------------------------------------------


def test_a_message_is_stored_and_mailed_to_every_office_address(
    client: TestClient, db: Session, offices: list[str]
) -> None:
    response = submit(client, "/contact", GOOD)

    assert response.status_code == 303 and response.headers["location"] == "/contact/sent"
    assert "Thank you for your message" in page_text(client.get("/contact/sent").text)
    [item] = stored(db)
    assert (item.name, item.email, item.subject) == ("Ada Reader", "ada@reader.example", GOOD["subject"])
    assert item.message == GOOD["message"] and item.consented_at is not None and item.created_at is not None
    assert item.read_at is None and item.handled_at is None
    for address in offices:
        [mail] = mails(db, address, "contact_message")
        assert mail.subject == "Contact form: A question about sleep"
        assert "Ada Reader <ada@reader.example>" in mail.text_body and GOOD["message"] in mail.text_body
        assert f"/admin/messages/{item.id}" in mail.text_body
    # Nothing goes to the address typed into the form: that would let anyone send mail to anyone.
    assert mails(db, "ada@reader.example") == []
    assert outbox_count(db) == len(offices)


def test_without_a_list_the_message_goes_to_the_contact_address(
    client: TestClient, db: Session, settings: Settings
) -> None:
    submit(client, "/contact", GOOD)

    assert [m.message for m in mails(db, settings.contact_email)] == ["contact_message"]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"consent": ""}, "consent", "Please agree that we store your message"),
        ({"email": "not-an-address"}, "email", "Enter an email address such as name@example.org"),
        ({"email": "a,b@reader.example"}, "email", "Enter an email address such as name@example.org"),
        ({"message": "   "}, "message", "Write your message (up to 5,000 characters)"),
        ({"message": "x" * 5001}, "message", "Write your message (up to 5,000 characters)"),
        ({"name": ""}, "name", "Enter your name"),
        ({"subject": "s" * 201}, "subject", "Enter a subject (up to 200 characters)"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_kept_or_sent(
    client: TestClient, db: Session, changes: dict[str, str], field: str, says: str
) -> None:
    typed = {**GOOD, **changes}

    response = submit(client, "/contact", typed)

    assert response.status_code == 422
    page = soup(response.text)
    assert says in page.select_one(f"#{field}-error").get_text()  # type: ignore[union-attr]
    assert page.select_one(".error-summary") is not None
    for name in ("name", "email", "subject"):
        if name != field:
            assert page.select_one(f"#{name}")["value"] == typed[name]  # type: ignore[index]
    if field != "message":
        assert page.select_one("#message").get_text() == typed["message"]  # type: ignore[union-attr]
    assert stored(db) == [] and outbox_count(db) == 0


def test_an_unticked_consent_keeps_the_other_values_and_a_ticked_one_stays_ticked(client: TestClient) -> None:
    page = soup(submit(client, "/contact", {**GOOD, "email": "bad"}).text)
    assert page.select_one("#consent").has_attr("checked")  # type: ignore[union-attr]
    page = soup(submit(client, "/contact", {**GOOD, "consent": ""}).text)
    assert not page.select_one("#consent").has_attr("checked")  # type: ignore[union-attr]


def test_the_form_links_the_privacy_notice_and_hides_the_trap_from_people(client: TestClient) -> None:
    page = soup(client.get("/contact").text)

    consent = page.select_one('label[for="consent"]')
    assert consent is not None and consent.select_one('a[href="/privacy"]') is not None
    trap = page.select_one('input[name="website"]')
    assert trap is not None and trap["tabindex"] == "-1" and trap["autocomplete"] == "off"
    assert "contact-trap" in trap.parent["class"]  # type: ignore[union-attr, operator]
    assert "Leave this field empty" in page.select_one('label[for="website"]').get_text()  # type: ignore[union-attr]


def test_a_filled_trap_is_thanked_and_nothing_is_kept_or_sent(client: TestClient, db: Session) -> None:
    response = submit(client, "/contact", {**GOOD, "website": "http://spam.example"})

    assert response.status_code == 303 and response.headers["location"] == "/contact/sent"
    assert stored(db) == [] and outbox_count(db) == 0


def test_too_many_messages_from_one_network_are_refused_with_the_text_kept(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.contact_rate_limit = "2/hour"
    for number in range(2):
        assert submit(client, "/contact", {**GOOD, "subject": f"Try {number}"}).status_code == 303

    response = submit(client, "/contact", {**GOOD, "subject": "One too many"})

    assert response.status_code == 429
    page = soup(response.text)
    assert "try again in an hour" in page.select_one("#message-error").get_text()  # type: ignore[union-attr]
    assert page.select_one("#subject")["value"] == "One too many"  # type: ignore[index]
    assert page.select_one("#message").get_text() == GOOD["message"]  # type: ignore[union-attr]
    assert [item.subject for item in stored(db)] == ["Try 0", "Try 1"]


def test_a_logged_in_person_finds_their_name_and_address_filled_in(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.PENDING, full_name="Dr. Filled In")
    login(client, request.user.email, factories.PASSWORD)

    page = soup(client.get("/contact").text)

    assert page.select_one("#name")["value"] == "Dr. Filled In"  # type: ignore[index]
    assert page.select_one("#email")["value"] == request.user.email  # type: ignore[index]


def test_every_page_links_the_contact_form_and_keeps_the_address(
    client: TestClient, settings: Settings
) -> None:
    page = soup(client.get("/").text)

    assert page.select_one('.site-nav a[href="/contact"]') is not None
    footer = page.select_one(".site-footer__contact")
    assert footer is not None and footer.select_one('a[href="/contact"]') is not None
    assert footer.select_one(f'a[href="mailto:{settings.contact_email}"]') is not None


def test_the_message_mails_have_both_parts_and_escape_the_html_one() -> None:
    context = {
        "society": "Society for Tests",
        "sender": "Eve <b>",
        "sender_email": "eve@example.org",
        "topic": "Hello\r\nBcc: x@example.org",
        "message": "<script>alert(1)</script>",
        "link": "https://portal.example/admin/messages/1",
    }
    subject, text, html = mail_service.render("contact_message", context)
    assert subject == "Contact form: Hello Bcc: x@example.org"
    assert "<script>" in text and "<script>" not in html and "&lt;script&gt;" in html
    assert "https://portal.example/admin/messages/1" in html


# The staff inbox ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.ADMIN])
def test_every_staff_role_sees_the_open_messages_newest_first_with_unread_marked(
    app: FastAPI, db: Session, settings: Settings, role: Role
) -> None:
    older, newer = message(db, settings, subject="Older"), message(db, settings, subject="Newer")
    client, person = staff_browser(app, db, settings, role)
    contact_service.mark_read(db, item=older)
    db.commit()

    page = soup(client.get("/admin/messages").text)

    rows = page.select("table.data-table tbody tr")
    assert [row.select_one("a").get_text() for row in rows] == ["Newer", "Older"]  # type: ignore[union-attr]
    assert "unread" in rows[0].get_text() and "unread" not in rows[1].get_text()
    assert page.select_one('.admin-nav a[href="/admin/messages"]')["aria-current"] == "page"  # type: ignore[index]
    assert newer.id != older.id


def test_the_filters_show_open_handled_or_all(app: FastAPI, db: Session, settings: Settings) -> None:
    client, person = staff_browser(app, db, settings)
    message(db, settings, subject="Still open")
    done = message(db, settings, subject="Already done")
    contact_service.mark_handled(db, item=done, actor=person, ip="")
    db.commit()

    def subjects(query: str) -> list[str]:
        page = soup(client.get(f"/admin/messages{query}").text)
        return [a.get_text() for a in page.select("table.data-table tbody td:first-child a")]

    assert subjects("") == ["Still open"]
    assert subjects("?status=handled") == ["Already done"]
    assert subjects("?status=all") == ["Already done", "Still open"]
    assert subjects("?status=nonsense") == ["Still open"]


def test_the_inbox_paginates_and_keeps_the_filter(app: FastAPI, db: Session, settings: Settings) -> None:
    client, _ = staff_browser(app, db, settings)
    for number in range(settings.page_size + 1):
        message(db, settings, subject=f"Message {number}")

    first = soup(client.get("/admin/messages?status=all").text)
    assert len(first.select("table.data-table tbody tr")) == settings.page_size
    older = first.select_one('a[rel="next"]')
    assert older is not None and "status=all" in older["href"] and "page=2" in older["href"]
    second = soup(client.get(f"/admin/messages{older['href']}").text)
    assert [a.get_text() for a in second.select("tbody td:first-child a")] == ["Message 0"]
    assert client.get("/admin/messages?page=9").status_code == 404


def test_an_empty_inbox_says_so(app: FastAPI, db: Session, settings: Settings) -> None:
    client, _ = staff_browser(app, db, settings)

    assert "No open messages" in page_text(client.get("/admin/messages").text)
    assert "Nobody has written" in page_text(client.get("/admin/messages?status=all").text)


def test_opening_a_message_shows_it_escaped_and_marks_it_read(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    item = message(db, settings, message="<script>alert('x')</script>\nSecond line")
    client, _ = staff_browser(app, db, settings)

    response = client.get(f"/admin/messages/{item.id}")

    assert "<script>alert" not in response.text and "&lt;script&gt;" in response.text
    assert "ada@reader.example" in page_text(response.text)
    db.refresh(item)
    assert item.read_at is not None
    assert "unread" not in page_text(client.get("/admin/messages").text)


def test_a_reply_is_mailed_to_the_sender_quoting_the_subject_and_closes_the_message(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    item = message(db, settings)
    client, person = staff_browser(app, db, settings)
    page = f"/admin/messages/{item.id}"

    response = submit(
        client, page, {"body": "Yes: see our article on sleep.", "handled": "on"}, action=f"{page}/reply"
    )

    assert response.status_code == 303 and response.headers["location"] == page
    [mail] = mails(db, "ada@reader.example", "contact_reply")
    assert mail.subject == "Re: A question about sleep"
    assert "Yes: see our article on sleep." in mail.text_body and GOOD["message"] in mail.text_body
    db.refresh(item)
    assert item.handled_at is not None
    [answer] = item.replies
    assert (answer.author_id, answer.body) == (person.id, "Yes: see our article on sleep.")
    shown = page_text(client.get(page).text)
    assert "Sam Editor wrote: Yes: see our article on sleep." in shown and "Reopen" in shown
    about = AuditEvent.target_type == "contact_message"
    actions = db.scalars(select(AuditEvent.action).where(about).order_by(AuditEvent.id))
    assert list(actions) == ["contact.replied", "contact.handled"]


def test_a_reply_may_leave_the_message_open(app: FastAPI, db: Session, settings: Settings) -> None:
    item = message(db, settings)
    client, _ = staff_browser(app, db, settings)
    page = f"/admin/messages/{item.id}"

    submit(client, page, {"body": "We will look into it."}, action=f"{page}/reply")

    db.refresh(item)
    assert item.handled_at is None and len(item.replies) == 1
    assert len(mails(db, "ada@reader.example", "contact_reply")) == 1


def test_an_empty_reply_is_refused_and_nothing_is_sent(app: FastAPI, db: Session, settings: Settings) -> None:
    item = message(db, settings)
    client, _ = staff_browser(app, db, settings)
    page = f"/admin/messages/{item.id}"

    response = submit(client, page, {"body": "  "}, action=f"{page}/reply")

    assert response.status_code == 422
    assert "Write the reply" in soup(response.text).select_one("#body-error").get_text()  # type: ignore[union-attr]
    assert not soup(response.text).select_one("#handled").has_attr("checked")  # type: ignore[union-attr]
    assert mails(db, "ada@reader.example") == []
    assert db.scalar(select(func.count()).select_from(ContactReply)) == 0


def test_marking_handled_twice_and_reopening(app: FastAPI, db: Session, settings: Settings) -> None:
    item = message(db, settings)
    client, _ = staff_browser(app, db, settings)
    page = f"/admin/messages/{item.id}"

    first = submit(client, page, {}, action=f"{page}/handled", follow=True)
    # A colleague pressed the same button a moment later, from a page opened before.
    second = submit(client, "/admin/messages", {}, action=f"{page}/handled", follow=True)

    assert "Marked handled." in page_text(first.text)
    assert "already marked handled" in page_text(second.text)
    db.refresh(item)
    assert item.handled_at is not None
    reopened = submit(client, page, {}, action=f"{page}/reopen", follow=True)
    assert "Reopened." in page_text(reopened.text) and "Mark handled without replying" in page_text(
        reopened.text
    )
    db.refresh(item)
    assert item.handled_at is None
    about = (AuditEvent.target_type == "contact_message", AuditEvent.target_id == item.id)
    actions = db.scalars(select(AuditEvent.action).where(*about).order_by(AuditEvent.id))
    assert list(actions) == ["contact.handled", "contact.reopened"]


def test_a_missing_message_is_not_found(app: FastAPI, db: Session, settings: Settings) -> None:
    client, _ = staff_browser(app, db, settings)

    assert client.get("/admin/messages/999").status_code == 404
    assert (
        submit(client, "/admin/messages", {"body": "x"}, action="/admin/messages/999/reply").status_code
        == 404
    )


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_visitors_and_members_cannot_open_the_inbox(
    client: TestClient, db: Session, settings: Settings, kind: str
) -> None:
    item = message(db, settings, subject="Private subject")
    if kind == "member":
        request = factories.applicant(db, settings, state=RequestState.APPROVED)
        login(client, request.user.email, factories.PASSWORD)

    for path in ("/admin/messages", f"/admin/messages/{item.id}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == (303 if kind == "visitor" else 403)
        assert "Private subject" not in response.text
    db.refresh(item)
    assert item.read_at is None


# Personal data -----------------------------------------------------------------------------------


def test_the_export_holds_the_messages_sent_from_the_accounts_address_and_deletion_removes_them(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.PENDING)
    email = request.user.email
    mine = message(db, settings, email=email, subject="From my address")
    message(db, settings, subject="Someone else's")
    staff_client, person = staff_browser(app, db, settings)
    page = f"/admin/messages/{mine.id}"
    submit(staff_client, page, {"body": "Thank you for writing."}, action=f"{page}/reply")
    login(client, email, factories.PASSWORD)

    exported = client.get("/account/export").json()

    [sent] = exported["contact_messages"]
    assert sent["subject"] == "From my address" and sent["replies"][0]["text"] == "Thank you for writing."
    assert sent["replies"][0]["by"] == "Sam Editor"
    submit(client, "/account/delete", {"password": factories.PASSWORD})
    assert [item.subject for item in stored(db)] == ["Someone else's"]
    assert db.scalar(select(func.count()).select_from(ContactReply)) == 0


def test_handled_messages_are_deleted_with_their_replies_after_the_retention_period(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client, _ = staff_browser(app, db, settings)
    closed = message(db, settings, subject="Closed matter")
    still_open = message(db, settings, subject="Still open")
    submit(
        client,
        f"/admin/messages/{closed.id}",
        {"body": "Thank you.", "handled": "on"},
        action=f"/admin/messages/{closed.id}/reply",
    )
    assert [m.subject for m in stored(db) if m.is_handled] == ["Closed matter"]
    days = settings.contact_retention_days
    with clock.travel(timedelta(days=days - 1)):
        assert tick.run(app.state.session_factory, settings).done["handled contact messages deleted"] == 0
    with clock.travel(timedelta(days=days, minutes=1)):
        report = tick.run(app.state.session_factory, settings)
    assert report.done["handled contact messages deleted"] == 1
    assert [m.subject for m in stored(db)] == ["Still open"]
    assert db.scalar(select(func.count()).select_from(ContactReply)) == 0
    assert still_open.id == stored(db)[0].id
