"""One answer for "the database is unavailable": 503 with Retry-After, never a 500 or a dropped connection.

A restart, a cut connection, a stopped server or a pool with no free connection all end here, from
any view or dependency. Pages say that nothing was saved and to try again; the API answers JSON.
So do password checks that find the worker's hashing threads full (app/core/security.py).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.security import PasswordHashingBusy
from app.core.web import render

log = structlog.get_logger(__name__)

RETRY_AFTER_SECONDS = 5
# What the driver raises when the server is away, the connection broke, or no connection is free.
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
TITLE = N_("Temporarily unavailable")
NOTHING_SAVED = N_("Nothing you sent was saved. Please go back and send it again in a moment.")
NOTHING_SAVED_HERE = N_(
    "Nothing was saved: the site is briefly unavailable. Please send this again in a moment."
)
TRY_AGAIN = N_("This page could not be loaded just now. Please try again in a moment.")
BUSY_HASHING = N_(
    "Many people are signing in at this moment. Nothing was saved; please try again in a few seconds."
)


def keep_typed(request: Request, form_page: Callable[[str], Response]) -> None:
    """Have an outage during this request answered by `form_page(message)`: the form, as typed, with a 503."""
    request.state.form_on_outage = form_page


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """Answer 503 and say whether anything was saved (nothing was: the transaction never committed)."""
    log.warning("db.unavailable", path=request.url.path, error=type(exc).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "Service temporarily unavailable"}, status_code=503, headers=headers)
    message = _(TRY_AGAIN if request.method in ("GET", "HEAD") else NOTHING_SAVED)
    response = _page(request, message, _(NOTHING_SAVED_HERE))
    response.status_code = 503
    response.headers.update(headers)
    return response


async def hashing_busy(request: Request, exc: Exception) -> Response:
    """Answer 503 when too many password checks wait in this worker: the form as typed, try again soon."""
    log.warning("passwords.hashing_busy", path=request.url.path)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "Service temporarily busy"}, status_code=503, headers=headers)
    response = _page(request, _(BUSY_HASHING), _(BUSY_HASHING))
    response.status_code = 503
    response.headers.update(headers)
    return response


def _page(request: Request, message: str, form_message: str) -> Response:
    form_page = getattr(request.state, "form_on_outage", None)
    context = {"status": 503, "title": _(TITLE), "message": message, "path": request.url.path}
    try:
        if form_page is not None:
            return form_page(form_message)  # type: ignore[no-any-return]
        return render(request, "errors/error.html", context, status_code=503)
    except Exception:  # the page may need the database too; the plain answer still goes out
        log.warning("db.unavailable_page_failed", exc_info=True)
        return HTMLResponse(f"<h1>{escape(_(TITLE))}</h1><p>{escape(message)}</p>", status_code=503)


def install(app: FastAPI) -> None:
    """Answer every database outage with `database_unavailable`."""
    for error in UNAVAILABLE:
        app.add_exception_handler(error, database_unavailable)
    app.add_exception_handler(PasswordHashingBusy, hashing_busy)
