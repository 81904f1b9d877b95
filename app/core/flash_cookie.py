"""The flash cookie: Starlette's signed cookie session, which also logs a forged cookie.

Starlette quietly starts an empty session when the signature fails; the site does the same, and
writes a `cookie.tampered` event, since nobody but the site can make a cookie that verifies.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from app.core import security_log


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
