"""The flash cookie: Starlette's signed cookie session, which also logs a forged cookie.

Starlette quietly starts an empty session when the signature fails; the site does the same, and
writes a `cookie.tampered` event, since nobody but the site can make a cookie that verifies.
"""

from __future__ import annotations

import json
from base64 import b64decode
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from app.core import security_log

# Starlette's default lifetime, which the app keeps: a cookie older than this reads as empty.
MAX_AGE = 14 * 24 * 60 * 60


class FlashCookie(SessionMiddleware):
    """Starlette's SessionMiddleware, with the same settings, reporting a cookie that fails its signature."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            value = HTTPConnection(scope).cookies.get(self.session_cookie)
            if value is not None and self._forged(value):
                security_log.event("cookie.tampered", cookie="flash", path=scope["path"])
        await super().__call__(scope, receive, send)

    def _forged(self, value: str) -> bool:
        try:
            self.signer.unsign(value.encode(), max_age=self.max_age)
        except SignatureExpired:
            return False  # the site's own cookie, merely old
        except BadSignature:
            return True
        return False


def cookie_name(*, production: bool) -> str:
    """The flash cookie's name: `__Host-` binds it to this exact host over HTTPS in production."""
    return "__Host-portal_flash" if production else "portal_flash"


def contents(signer: TimestampSigner, value: str | None) -> dict[str, Any] | None:
    """What a flash cookie holds, as the middleware would read it; None when it does not verify.

    No cookie reads as empty. For layers outside the middleware (core/reader_cache.py), which
    must know the CSRF secret and whether messages wait, and never log: the middleware does.
    """
    if value is None:
        return {}
    try:
        data = json.loads(b64decode(signer.unsign(value.encode(), max_age=MAX_AGE)))
    except (BadSignature, ValueError):
        return None
    return data if isinstance(data, dict) else None
