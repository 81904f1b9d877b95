"""The migration that keeps tokens apart takes them out of mail already written before it."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from app.core import migrations
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, on both databases)

BEFORE = "c7632048b44c"
AFTER = "6d791543b75a"
LINK = "https://portal.example/reset-password?token="


def row(row_id: int, status: str, token: str) -> str:
    return (
        "INSERT INTO outbox_message (id, message, to_address, subject, text_body, html_body, status,"
        " attempts, next_attempt_at, last_error, created_at) VALUES"
        f" ({row_id}, 'password_reset', 'a@example.org', 'Set a new password', 'Open {LINK}{token}\n',"
        f" '<a href=\"{LINK}{token}\">x</a>', '{status}', 0, '2026-12-01', '', '2026-12-01')"
    )


def test_waiting_mail_keeps_its_token_to_send_and_sent_mail_loses_it(
    empty_database: str,  # noqa: F811  (the fixture imported above)
) -> None:
    url = empty_database
    migrations.upgrade(url, BEFORE)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(row(1, "pending", "waiting-token")))
        connection.execute(text(row(2, "sent", "sent-token")))
    migrations.upgrade(url, AFTER)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT text_body, html_body, text_to_send, html_to_send FROM outbox_message ORDER BY id")
        ).all()
    waiting, sent = rows
    assert waiting.text_body == f"Open {LINK}[removed]\n"
    assert waiting.html_body == f'<a href="{LINK}[removed]">x</a>'
    assert waiting.text_to_send == f"Open {LINK}waiting-token\n"
    assert waiting.html_to_send == f'<a href="{LINK}waiting-token">x</a>'
    assert "sent-token" not in "".join(str(value) for value in sent)

    migrations.downgrade(url, BEFORE)
    with engine.connect() as connection:
        bodies = connection.scalars(text("SELECT text_body FROM outbox_message ORDER BY id")).all()
    assert bodies == [f"Open {LINK}waiting-token\n", f"Open {LINK}[removed]\n"]
    engine.dispose()
