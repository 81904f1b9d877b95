"""HTML error pages that help the reader on, and never a traceback."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import unavailable
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.web import render

log = structlog.get_logger(__name__)

# Each status's title and message, in English; translated as the page is built.
MESSAGES = {
    400: (N_("Bad request"), N_("The request could not be understood.")),
    403: (N_("Not allowed"), N_("You may not open this page.")),
    404: (
        N_("Page not found"),
        N_("There is no page at this address. It may have moved or never existed."),
    ),
    405: (N_("Not allowed"), N_("This address does not accept that kind of request.")),
    413: (
        N_("Too large"),
        N_("What you sent is larger than this form accepts. Go back and choose a smaller file."),
    ),
    422: (N_("Check the address"), N_("Part of this address is not in a form we understand.")),
    429: (N_("Too many attempts"), N_("Please wait a few minutes before you try again.")),
}
CSRF_MESSAGE = (
    N_("Form expired"),
    N_("This form was open too long or came from another site. Go back, reload the page and try again."),
)


class LoginRequired(Exception):
    """The page needs a logged-in person; send them to the login page and back."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, detail: str | None = None) -> Response:
    fallback = (N_("Something went wrong"), N_("The request could not be completed."))
    title, message = CSRF_MESSAGE if detail == "csrf" else MESSAGES.get(status, fallback)
    if _wants_json(request):
        return JSONResponse({"detail": detail or title}, status_code=status)
    title, message = _(title), _(message)
    template = "errors/404.html" if status == 404 else "errors/error.html"
    context = {"status": status, "title": title, "message": message, "path": request.url.path}
    try:
        return render(request, template, context, status_code=status)
    except Exception:  # the error page itself must never fail
        log.exception("error_page_failed", status=status)
        return HTMLResponse(f"<h1>{status} {escape(title)}</h1>", status_code=status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    response = _error_page(request, exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = request.app.url_path_for("accounts.login")
    return RedirectResponse(f"{target}?{urlencode({'next': exc.next_path})}", status_code=303)


async def validation_error(request: Request, exc: Exception) -> Response:
    return _error_page(request, 422)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path, exc_info=exc)
    if _wants_json(request):
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
    try:
        return render(request, "errors/500.html", {"status": 500}, status_code=500)
    except Exception:
        return HTMLResponse(f"<h1>{escape(_('Something went wrong'))}</h1>", status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, server_error)
    unavailable.install(app)
