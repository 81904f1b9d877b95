"""Emailed links leave the address bar at once.

The GET that carries a token puts it, for a few minutes, in the signed flash cookie and answers
303 to the same address without it; the page and its form read it from there. So no token stays
in the browser's history, reaches another site in a Referer header, or lands in a server log.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.models import TokenPurpose
from app.core.db import utcnow
from app.core.proxies import client_ip
from app.core.web import render

HELD_FOR = timedelta(minutes=15)
HELD_KEY = "emailed_links"
TOKEN_MAX = 200  # far longer than any token issued, short enough to keep the cookie small
THROTTLED = (
    "Too many links opened",
    "Too many emailed links were opened from your network. Please wait a few minutes, then open "
    "the link in your email again.",
)


def hold(request: Request, purpose: TokenPurpose, token: str, route: str) -> Response:
    """Keep the link's token in this browser for a few minutes and send it on to `route`.

    Each client address opens only so many links, so no one tries tokens by the thousand.
    """
    settings = request.app.state.settings
    if not request.app.state.rate_limiter.allow(settings.link_rate_limit, "emailed-link", client_ip(request)):
        context = {"status": 429, "title": THROTTLED[0], "message": THROTTLED[1], "path": request.url.path}
        return without_referrer(render(request, "errors/error.html", context, status_code=429))
    held = _fresh(request.session)
    held[purpose.value] = {"token": token[:TOKEN_MAX], "until": (utcnow() + HELD_FOR).timestamp()}
    request.session[HELD_KEY] = held
    return without_referrer(RedirectResponse(request.app.url_path_for(route), 303))


def held(request: Request, purpose: TokenPurpose) -> str:
    """The token of the link this browser opened for `purpose` a few minutes ago, or ''."""
    entry = _fresh(request.session).get(purpose.value)
    return str(entry["token"]) if entry else ""


def drop(request: Request, purpose: TokenPurpose) -> None:
    """Forget the link: it was used, or no longer works."""
    if HELD_KEY not in request.session:
        return  # nothing held: leave a visitor without a cookie
    held = _fresh(request.session)
    held.pop(purpose.value, None)
    if held:
        request.session[HELD_KEY] = held
    else:
        del request.session[HELD_KEY]


def without_referrer(response: Response) -> Response:
    """Tell the browser to send no Referer from a page reached through an emailed link."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _fresh(session: MutableMapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The held links that have not yet run out; anything malformed counts as none."""
    now = utcnow()
    entries = session.get(HELD_KEY)
    if not isinstance(entries, dict):
        return {}
    fresh = {}
    for purpose, entry in entries.items():
        try:
            until = datetime.fromtimestamp(float(entry["until"]), now.tzinfo)
            token = str(entry["token"])
        except (KeyError, TypeError, ValueError):
            continue
        if now < until:
            fresh[purpose] = {"token": token, "until": entry["until"]}
    return fresh
