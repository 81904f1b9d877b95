"""Every message renders a subject, a text and an HTML part; the outbox lists and links read back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jinja2
import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

import app.mail.models  # noqa: F401  (the outbox table on Base.metadata, whatever app.main imports)
from app.core.config import Settings
from app.core.db import utcnow
from app.mail import service as mail_service
from app.mail.models import OutboxMessage
from app.mail.sender import SmtpTransport, build_email

SOCIETY = "Society for Tests"
LINK = "https://portal.example/next?token=t0k&x=1"
MESSAGES: dict[str, dict[str, Any]] = {
    "confirm_email": {"name": "Anna", "link": LINK},
    "account_exists": {"name": "Anna", "login_link": LINK, "reset_link": "https://portal.example/forgot"},
    "request_received": {"name": "Anna"},
    "new_request": {"name": "Rita Reviewer", "applicant": "Anna", "profession": "Physicians", "link": LINK},
    "more_info_needed": {"name": "Anna", "question": "Which chamber issued your licence?", "link": LINK},
    "approved": {"name": "Anna", "login_link": LINK},
    "rejected": {"name": "Anna", "reason": "We could not confirm the licence.", "link": LINK},
    "password_reset": {"name": "Anna", "link": LINK, "minutes": 60},
    "password_changed": {"name": "Anna"},
}


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_every_message_has_a_one_line_subject_a_text_and_an_accessible_html_part(message: str) -> None:
    context = {**MESSAGES[message], "society": SOCIETY}

    subject, text, html = mail_service.render(message, context)

    assert subject and "\n" not in subject
    assert text.startswith("Hello") and text.rstrip().endswith(SOCIETY)
    page = BeautifulSoup(html, "html.parser")
    assert page.html is not None and page.html["lang"] == "en"
    assert page.title is not None and page.title.get_text() == subject
    assert SOCIETY in page.get_text()
    for key in ("link", "login_link"):
        if key in context:
            link = context[key]
            assert link in text
            # a real link, and the address printed for anyone who cannot click it
            assert any(a["href"] == link for a in page.find_all("a"))
            assert any(a.get_text() == link for a in page.find_all("a"))
    for key in ("question", "reason", "applicant", "profession"):
        if key in context:
            assert context[key] in text and context[key] in page.get_text()


def test_the_reviewer_greeting_works_without_a_name() -> None:
    context = {"applicant": "Anna", "profession": "Physicians", "link": LINK, "society": SOCIETY}
    subject, text, _ = mail_service.render("new_request", context)
    assert subject == "New access request to review: Anna" and text.startswith("Hello,")


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(jinja2.UndefinedError):
        mail_service.render("confirm_email", {"name": "Anna", "society": SOCIETY})


def test_html_is_escaped_and_text_is_not() -> None:
    context = {"name": "Anna <b>& Co</b>", "link": LINK, "society": SOCIETY}
    _, text, html = mail_service.render("confirm_email", context)
    assert "Hello Anna <b>& Co</b>," in text
    assert "Anna &lt;b&gt;&amp; Co&lt;/b&gt;" in html and "<b>" not in html


def test_a_line_break_in_the_context_cannot_break_the_subject() -> None:
    context = {
        "applicant": "Anna\r\nBcc: someone@example.org",
        "profession": "x",
        "link": LINK,
        "society": "S",
    }
    subject, _, _ = mail_service.render("new_request", context)
    assert subject == "New access request to review: Anna Bcc: someone@example.org"


def test_links_in_finds_each_http_link_once_in_order() -> None:
    text = (
        "Open https://portal.example/verify?token=a&b=c.\n"
        "Or (http://portal.example/login), or https://portal.example/verify?token=a&b=c again; "
        "not ftp://files.example nor mailto:office@society.example."
    )
    assert mail_service.links_in(text) == [
        "https://portal.example/verify?token=a&b=c",
        "http://portal.example/login",
    ]


def test_the_outbox_lists_newest_first_in_pages(db: Session) -> None:
    for number in range(5):
        row = mail_service.queue(
            db,
            message="request_received",
            to=f"person{number}@example.org",
            context={"name": "A", "society": "S"},
        )
        row.created_at = utcnow() + timedelta(seconds=number)
    db.commit()

    first = mail_service.list_messages(db, page=1, size=2)
    last = mail_service.list_messages(db, page=3, size=2)

    assert [m.to_address for m in first.items] == ["person4@example.org", "person3@example.org"]
    assert [m.to_address for m in last.items] == ["person0@example.org"]
    assert first.total == 5 and first.pages == 3 and first.has_next and not last.has_next


def test_the_message_id_is_stable_and_names_the_sending_domain() -> None:
    row = OutboxMessage(
        id=7,
        to_address="a@example.org",
        subject="S",
        text_body="t",
        html_body="<p>h</p>",
        created_at=utcnow(),
    )
    first = build_email(row, mail_from="Society <post@society.example>")
    again = build_email(row, mail_from="Society <post@society.example>")
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].startswith("<outbox.7.") and first["Message-ID"].endswith("@society.example>")
    assert [part.get_content_type() for part in first.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, False, False, None, "")),
        ("smtp://mail.example.org?starttls=true", ("mail.example.org", 587, True, False, None, "")),
        ("smtps://u%40x:p%3Aw@mail.example.org", ("mail.example.org", 465, False, True, "u@x", "p:w")),
        ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, False, False, None, "")),
    ],
)
def test_the_smtp_url_sets_host_port_tls_and_login(url: str, expected: tuple[object, ...]) -> None:
    t = SmtpTransport(Settings(smtp_url=url, _env_file=None))  # type: ignore[call-arg]
    assert (t.host, t.port, t.starttls, t.implicit_tls, t.username, t.password) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "mail.example.org:25", "smtp://"])
def test_a_malformed_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="PORTAL_SMTP_URL"):
        SmtpTransport(Settings(smtp_url=url, _env_file=None))  # type: ignore[call-arg]
