"""Synchronizer CSRF tokens: one secret per browser, kept in the signed flash cookie."""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request
from starlette.datastructures import FormData

from app.core import security_log
from app.core.security import same

FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The token every form on this page must send back; created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def rotate(request: Request) -> None:
    """Start a new token, so one planted before login cannot be used after it."""
    request.session["csrf"] = secrets.token_urlsafe(32)


def check(request: Request, form: FormData) -> None:
    sent = form.get(FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not same(sent, str(expected)):
        reason = "missing" if not isinstance(sent, str) else "no_secret" if not expected else "mismatch"
        security_log.event("csrf.refused", reason=reason, method=request.method, path=request.url.path)
        raise HTTPException(403, "csrf")
