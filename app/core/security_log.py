"""Security events in the structured log: failed logins, refusals, tampering, denied pages.

Each event is one named line (`login.failed`, `ratelimit.refused`, ...) that carries the request id
through structlog's context variables. None may hold a password, a token, a cookie's value or an
email address: a person is named by their user id, or by the `fingerprint` of what they typed.
"""

from __future__ import annotations

import hashlib
import hmac

import structlog

log = structlog.get_logger("portal.security")


def event(name: str, **fields: object) -> None:
    """Write one security event, at warning level so that it shows with the default log level."""
    log.warning(name, **fields)


def fingerprint(secret_key: str, value: str) -> str:
    """A keyed hash of an email address or other identifier, for matching events with each other.

    Keyed, because a plain hash of an address is undone by hashing a list of addresses.
    """
    key = hashlib.sha256(b"portal-log-fingerprint:" + secret_key.encode()).digest()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]
