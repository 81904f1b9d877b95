"""Act as a browser would: open the form, read its CSRF token, post it, read the mail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lxml.html
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message

from app.accounts import totp
from app.core.db import utcnow
from app.mail import service as mail_service
from app.mail.models import OutboxMessage
from tests.asgi_client import TestClient


def csrf_from(client: TestClient, page: str) -> str:
    """Open `page` and return the CSRF token of its first form."""
    # lxml's own tree, not BeautifulSoup's: every form post opens a page for its token, and this
    # reads one in a tenth of a millisecond instead of 5 to 20.
    fields = lxml.html.fromstring(client.get(page).text).xpath('//input[@name="csrf_token"]')
    token = fields[0].get("value") if fields else None
    assert token is not None, f"{page} has no form with a CSRF token"
    return str(token)


def submit(
    client: TestClient,
    page: str,
    data: dict[str, Any],
    *,
    action: str | None = None,
    files: dict[str, Any] | None = None,
    follow: bool = False,
) -> Response:
    """Fill in the form found on `page` and post it to `action` (default: the page itself)."""
    token = csrf_from(client, page)
    return client.post(
        action or page, data={"csrf_token": token, **data}, files=files, follow_redirects=follow
    )


def login(
    client: TestClient, email: str, password: str, next_path: str = "", *, secret: str = ""
) -> Response:
    """Log in; with the `secret` of a second factor, also pass the code step as the app would."""
    response = submit(client, "/login", {"email": email, "password": password, "next": next_path})
    step = response.headers.get("location", "")
    if secret and step.endswith("/login/two-factor"):  # "/en/login/two-factor" on a site in two languages
        response = submit(client, step, {"code": totp.code_at(secret, utcnow())})
    return response


def logout(client: TestClient) -> Response:
    return submit(client, "/", {}, action="/logout")


def mails(db: Session, to: str, message: str | None = None) -> list[OutboxMessage]:
    """The emails queued for `to`, oldest first, optionally of one kind."""
    db.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.to_address == to)
    if message:
        query = query.where(OutboxMessage.message == message)
    return list(db.scalars(query.order_by(OutboxMessage.id)))


def link_in(mail: OutboxMessage, containing: str) -> str:
    """The link in an email's text as it leaves that contains `containing`, as a site-relative path."""
    text_body, _ = mail_service.bodies_to_send(mail)
    links = [link for link in mail_service.links_in(text_body) if containing in link]
    assert links, f"no link with {containing!r} in: {text_body}"
    return "/" + links[0].split("/", 3)[3]


async def asgi_get(
    app: ASGIApp,
    path: str,
    *,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    answered: Callable[[dict[bytes, bytes]], None],
) -> bytes:
    """GET `path` through the app's ASGI interface, for requests that must overlap in one loop.

    `answered` gets the response's headers as soon as they leave, before the app has finished
    (a cache stores a page after its reader has it); the body is returned at the end.
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    body: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answered(dict(message["headers"]))
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(body)
