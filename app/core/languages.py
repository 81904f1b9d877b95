"""Each language's own addresses: /de/... and /en/..., the same site under a prefix.

When the site speaks more than one language (PORTAL_LANGUAGES), the first segment of a page's
address names its language. The layer serves the rest of the site under that prefix the way ASGI
mounts an application: it moves the prefix into `root_path`, so every route matches unchanged, and
it sets the language for the request (`i18n.using`) and the prefix that `Portal.url_path_for`
puts before every link it builds. Addresses that are the same in every language (the JSON API,
static and media files, health checks, the sitemap) carry no prefix.

An address without a prefix (an old link, a bookmark, the bare domain) answers a GET with a
redirect to the same page in the reader's language: the one they chose before (a cookie), else the
best match for their browser's Accept-Language, else PORTAL_DEFAULT_LANGUAGE. Other methods are
served there in that language, so a form posted from an old page still works. The addresses that
are the same in every language answer in PORTAL_DEFAULT_LANGUAGE whoever asks, so a shared cache
may keep them by address alone.

A site in one language has no prefixes at all.
"""

from __future__ import annotations

from contextvars import ContextVar
from http.cookies import SimpleCookie
from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core import i18n
from app.core.config import Settings

# The reader's choice from the language switch; it only picks among public addresses.
LANGUAGE_COOKIE = "portal_language"
# The same in every language: never prefixed, never redirected.
NEUTRAL_PREFIXES = ("/static/", "/api/", "/media/", "/language/")
NEUTRAL_PATHS = frozenset({"/healthz", "/readyz", "/robots.txt", "/sitemap.xml", "/favicon.ico"})

PATH_SAFE = "/:@!$&'()*+,;=-._~"

_prefix: ContextVar[str] = ContextVar("portal_address_prefix", default="")


def is_neutral(path: str) -> bool:
    """True for addresses that are the same in every language."""
    return path in NEUTRAL_PATHS or path.startswith(NEUTRAL_PREFIXES)


def localised(path: str) -> str:
    """`path` (a site path from a route) in the language of the request being served."""
    prefix = _prefix.get()
    return prefix + path if prefix and not is_neutral(path) else path


def in_language(path: str, code: str) -> str:
    """A path built for this page (`url_for`) as the page of the same address in language `code`."""
    prefix = _prefix.get()
    if not prefix or is_neutral(path) or not path.startswith(prefix + "/"):
        return path
    return f"/{code}{path[len(prefix) :]}"


def preferred(header: str, codes: tuple[str, ...]) -> str | None:
    """The best of `codes` for an Accept-Language header ("de-DE,de;q=0.9,en;q=0.8"), if any."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if quality > 0 and language:
            ranked.append((-quality, position, language))
    for _, _, language in sorted(ranked):
        if language in codes:
            return language
        if language == "*":
            return codes[0]
    return None


class LanguageLayer:
    """Read the language from the address, or send an unprefixed GET to the reader's language."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.codes = settings.language_codes
        self.default = settings.default_language
        self.prefixes = {f"/{code}": code for code in self.codes} if len(self.codes) > 1 else {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.prefixes:
            with i18n.using(self.default):
                await self.app(scope, receive, send)
            return
        root = scope.get("root_path", "")
        path: str = scope["path"][len(root) :] if scope["path"].startswith(root) else scope["path"]
        first = "/" + path.split("/", 2)[1]
        code = self.prefixes.get(first)
        if code is not None and path == first:  # /de -> /de/
            await _redirect(scope, send, root + path + "/", status=308)
            return
        if code is not None:
            scope = {**scope, "root_path": root + first, "language": code}
            await self._serve(scope, receive, send, code, first)
            return
        if is_neutral(path):
            # The same answer for everyone, whatever their cookie or browser asks: the shared
            # caches key these addresses by path alone.
            await self._serve({**scope, "language": self.default}, receive, send, self.default, "")
            return
        code = self._reader_language(scope)
        if scope["method"] in ("GET", "HEAD"):
            await _redirect(scope, send, f"{root}/{code}{path}", status=302)
            return
        await self._serve({**scope, "language": code}, receive, send, code, f"/{code}")

    async def _serve(self, scope: Scope, receive: Receive, send: Send, code: str, prefix: str) -> None:
        token = _prefix.set(prefix)
        try:
            with i18n.using(code):
                await self.app(scope, receive, send)
        finally:
            _prefix.reset(token)

    def _reader_language(self, scope: Scope) -> str:
        cookie = accept = ""
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie += value.decode("latin-1") + ";"
            elif name == b"accept-language":
                accept += value.decode("latin-1") + ","
        if cookie:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(cookie)
            except Exception:  # noqa: BLE001 (a malformed cookie header is simply not a choice)
                jar = SimpleCookie()
            chosen = jar.get(LANGUAGE_COOKIE)
            if chosen is not None and chosen.value in self.codes:
                return chosen.value
        return preferred(accept, self.codes) or self.default


async def _redirect(scope: Scope, send: Send, location: str, *, status: int) -> None:
    query = scope.get("query_string", b"")
    # Quoted again, so a decoded %0D%0A or a space can never break the header.
    target = quote(location, safe=PATH_SAFE).encode("ascii") + (b"?" + query if query else b"")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"location", target),
                (b"vary", b"Cookie, Accept-Language"),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def address(settings: Settings, path: str, code: str) -> str:
    """The full address of the site path `path` in language `code`, as an email links to it: the
    link opens the page in the email's language, whatever language the reader's browser prefers."""
    code = code if code in settings.language_codes else settings.default_language
    return settings.base_url + ("" if is_neutral(path) else prefix(settings, code)) + path


def prefix(settings: Settings, code: str) -> str:
    """The address prefix of a language: "/de", or nothing on a site in one language."""
    return f"/{code}" if len(settings.language_codes) > 1 else ""
