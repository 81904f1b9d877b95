"""The ways between a page and its other languages: the switch, hreflang alternates, the cookie.

Each page exists once per language, under its prefix (`core/languages.py`). The switch in the
header leads through `GET /language/{code}?next=...`, which remembers the choice in a cookie (so an
address without a prefix, a bookmark or the bare domain, opens in it) and then shows the same page
in that language. Search engines learn the same from the `hreflang` alternates in each page's head
and in the sitemap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, urlencode

from babel import Locale
from fastapi import Request
from fastapi.responses import Response
from starlette._utils import get_route_path

from app.core import i18n
from app.core.config import Settings
from app.core.languages import LANGUAGE_COOKIE, PATH_SAFE, is_neutral, prefix

ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Version:
    """One language's version of the page being shown."""

    code: str
    name: str  # in its own language: "Deutsch", "English"
    path: str  # the page in it: "/de/articles?page=2"
    url: str  # the same, absolute on PORTAL_BASE_URL; empty where the address has no language
    switch: str  # the switch's link: remembers the choice, then leads to `path`
    current: bool


@cache
def language_name(code: str) -> str:
    """A language's name as its own speakers write it in a menu: "Deutsch", "English"."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


def safe_next(settings: Settings, code: str, target: str) -> str:
    """`target` if it is a page of this site in `code`, else that language's home page.

    Only a path of our own may follow the switch: never "//host" or "/\\host" (browsers read
    both as another site), never a control character, and only in the language just chosen, so
    the switch cannot be made to lead anywhere else.
    """
    home = prefix(settings, code) + "/"
    own = (
        target.startswith(home)
        and not target.startswith("//")
        and "\\" not in target
        and all(char >= " " and char != "\x7f" for char in target)
    )
    return target if own else home


def remember(response: Response, settings: Settings, code: str) -> None:
    """Set the cookie that names the reader's language for addresses without a prefix.

    Set at the switch and at login (the person's own language); a site in one language has no
    choice to remember.
    """
    if len(settings.language_codes) < 2 or code not in settings.language_codes:
        return
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=ONE_YEAR,
        httponly=True,
        secure=settings.env == "production",
        samesite="lax",
        path="/",
    )


def versions(request: Request) -> list[Version]:
    """This page in each language the site speaks; empty on a site in one language."""
    settings: Settings = request.app.state.settings
    if len(settings.language_codes) < 2:
        return []
    path = _page_path(request)
    query = request.url.query
    found = []
    neutral = is_neutral(path)
    for code in settings.language_codes:
        # A neutral address (an error page for a file) has no language: the switch leads home.
        there = f"/{code}/" if neutral else f"/{code}{path}" + (f"?{query}" if query else "")
        switch = str(request.app.url_path_for("site.language", code=code))
        found.append(
            Version(
                code=code,
                name=language_name(code),
                path=there,
                url="" if neutral else settings.base_url.rstrip("/") + there,
                switch=f"{switch}?{urlencode({'next': there})}",
                current=code == i18n.current(),
            )
        )
    return found


def default_url(request: Request) -> str:
    """The page's address without a prefix (x-default): it opens in the reader's language."""
    settings: Settings = request.app.state.settings
    query = request.url.query
    return settings.base_url.rstrip("/") + _page_path(request) + (f"?{query}" if query else "")


def _page_path(request: Request) -> str:
    # The route's path is decoded ("/tags/a b"); an address in a link must be quoted again.
    return quote(get_route_path(request.scope), safe=PATH_SAFE)
