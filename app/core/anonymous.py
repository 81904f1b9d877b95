"""Who is an anonymous visitor: the one rule every layer that treats visitors alike asks.

A request is anonymous only when it carries no credentials and no cookie but the language choice.
The site reads two cookies that belong to a person (the session, and the signed flash cookie with
flash messages and the CSRF secret), but any other cookie counts as a person too: an unknown name
costs a visitor a shared page at most, while a missed one could hand a person's page to everybody.

The one exception is `portal_language`, the language switch's memory, exactly that name and
nothing else. It says nothing about who is reading and changes no page: a page's language is in its
address (/de/..., /en/...), and the cookie is read only to redirect an address without a prefix,
an answer that is never stored. Without the exception, everyone who once used the switch would
lose the shared page cache for good.

The shared page cache, the ETags and short public caching, gzip and `PrivatePages` all decide with
this function.
"""

from __future__ import annotations

from starlette.types import Scope

from app.core.languages import LANGUAGE_COOKIE

CREDENTIALS = (b"cookie", b"authorization")
_LANGUAGE_ONLY = LANGUAGE_COOKIE.encode("ascii")


def is_anonymous(scope: Scope) -> bool:
    """True when the request carries no Authorization header and no cookie but the language choice."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return False
        if name == b"cookie" and not _only_language(value):
            return False
    return True


def _only_language(header: bytes) -> bool:
    """Whether every cookie in this Cookie header is the language choice (and there is at least one)."""
    pairs = [pair.strip() for pair in header.split(b";")]
    names = [pair.partition(b"=")[0].strip() for pair in pairs if pair]
    return bool(names) and all(name == _LANGUAGE_ONLY for name in names)
