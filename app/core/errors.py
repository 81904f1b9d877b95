"""HTML error pages that help the reader on, and never a traceback."""

from __future__ import annotations

from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import unavailable
from app.core.web import render

log = structlog.get_logger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "You may not open this page."),
    404: (
        "Page not found",
        "There is no page at this address. It may have moved or never existed.",
    ),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than this form accepts. Go back and choose a smaller file."),
    422: ("Check the address", "Part of this address is not in a form we understand."),
    429: ("Too many attempts", "Please wait a few minutes before you try again."),
}
CSRF_MESSAGE = (
    "Form expired",
    "This form was open too long or came from another site. Go back, reload the page and try again.",
)


class LoginRequired(Exception):
    """The page needs a logged-in person; send them to the login page and back."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, detail: str | None = None) -> Response:
    fallback = ("Something went wrong", "The request could not be completed.")
    title, message = CSRF_MESSAGE if detail == "csrf" else MESSAGES.get(status, fallback)
    if _wants_json(request):
        return JSONResponse({"detail": detail or title}, status_code=status)
    template = "errors/404.html" if status == 404 else "errors/error.html"
    context = {"status": status, "title": title, "message": message, "path": request.url.path}
    try:
        return render(request, template, context, status_code=status)
    except Exception:  # the error page itself must never fail
        log.exception("error_page_failed", status=status)
        return HTMLResponse(f"<h1>{status} {title}</h1>", status_code=status)


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
        return HTMLResponse("<h1>Something went wrong</h1>", status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, server_error)
    unavailable.install(app)
