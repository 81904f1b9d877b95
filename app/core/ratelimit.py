"""Rate limits for login, password reset and the access request: in memory, or in Redis when
PORTAL_REDIS_URL is set, so that several processes share the same counts."""

from __future__ import annotations

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core.config import Settings


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        uri = settings.redis_url or "memory://"
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))
        self._prefix = "portal"

    def allow(self, limit: str, *identifiers: str) -> bool:
        """Count one attempt for these identifiers; False once the limit is reached."""
        return self._limiter.hit(parse(limit), self._prefix, *identifiers)

    def exhausted(self, limit: str, *identifiers: str) -> bool:
        """True when these identifiers have used up the limit (nothing is counted)."""
        return not self._limiter.test(parse(limit), self._prefix, *identifiers)

    def reset(self) -> None:
        self._limiter.storage.reset()
