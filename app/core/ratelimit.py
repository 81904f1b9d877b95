"""Rate limits for login, password reset and the access request: in memory, or in Redis when
PORTAL_REDIS_URL is set, so that several processes share the same counts.

Every refusal is logged as `ratelimit.refused`, with the limit's name and a fingerprint of whom it
counts (an address, an email, an account), never the identifier itself.
"""

from __future__ import annotations

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core import security_log
from app.core.config import Settings


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        uri = settings.redis_url or "memory://"
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))
        self._prefix = "portal"
        self._secret_key = settings.secret_key

    def allow(self, limit: str, *identifiers: str) -> bool:
        """Count one attempt for these identifiers; False (and logged) once the limit is reached."""
        allowed = self._limiter.hit(parse(limit), self._prefix, *identifiers)
        if not allowed:
            self._log_refusal(identifiers)
        return allowed

    def exhausted(self, limit: str, *identifiers: str) -> bool:
        """True (and logged) when these identifiers have used up the limit: the caller refuses."""
        spent = self.used_up(limit, *identifiers)
        if spent:
            self._log_refusal(identifiers)
        return spent

    def used_up(self, limit: str, *identifiers: str) -> bool:
        """Whether these identifiers have used up the limit, without refusing anything or counting."""
        return not self._limiter.test(parse(limit), self._prefix, *identifiers)

    def reset(self) -> None:
        self._limiter.storage.reset()

    def _log_refusal(self, identifiers: tuple[str, ...]) -> None:
        # The first identifier names the limit ("login-ip"); the rest say whom it counts.
        name, *subject = identifiers or ("",)
        fingerprint = security_log.fingerprint(self._secret_key, "\n".join(subject))
        security_log.event("ratelimit.refused", limit=name, subject=fingerprint)
