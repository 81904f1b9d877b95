"""Who is an anonymous visitor: the one rule every layer that treats visitors alike asks.

A request is anonymous only when it carries no cookie and no credentials at all. The site reads
two cookies that belong to a person (the session, and the signed flash cookie with flash messages
and the CSRF secret), but any cookie counts: an unknown name costs a visitor a shared page at most,
while a missed one could hand a person's page to everybody. The shared page cache, the ETags and
short public caching, gzip and `PrivatePages` all decide with this function.
"""

from __future__ import annotations

from starlette.types import Scope

CREDENTIALS = (b"cookie", b"authorization")


def is_anonymous(scope: Scope) -> bool:
    """True when the request carries no cookie and no Authorization header."""
    return not any(name in CREDENTIALS for name, _ in scope["headers"])
