"""Rate limits for login, password reset and the access request: in memory, or in Redis when
PORTAL_REDIS_URL is set, so that several processes share the same counts.

Redis is asked with short timeouts. While it cannot be reached, limits count in this process's own
memory (a `ratelimit.redis_unavailable` warning at most once a minute) and Redis is tried again
every few seconds, so counting goes back to it when it returns. Nothing but rate limits uses Redis:
gated content never waits on it.

Every refusal is logged as `ratelimit.refused`, with the limit's name and a fingerprint of whom it
counts (an address, an email, an account), never the identifier itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core import security_log
from app.core.config import Settings

log = structlog.get_logger(__name__)

# After a failure, Redis is left alone this long: a dead Redis costs one timeout per interval.
RETRY_REDIS_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0


class RateLimiter:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if settings.redis_url:
            timeout = settings.redis_timeout_seconds
            storage = storage_from_string(
                settings.redis_url,
                wrap_exceptions=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._prefix = "portal"
        self._secret_key = settings.secret_key
        self._clock = clock
        self._redis_retry_at = 0.0
        self._warned_at: float | None = None

    def allow(self, limit: str, *identifiers: str) -> bool:
        """Count one attempt for these identifiers; False (and logged) once the limit is reached."""
        allowed = self._ask(lambda limiter, item: limiter.hit(item, self._prefix, *identifiers), limit)
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
        return not self._ask(lambda limiter, item: limiter.test(item, self._prefix, *identifiers), limit)

    def reset(self) -> None:
        self._local.storage.reset()
        if self._shared is not None:
            self._shared.storage.reset()

    @property
    def using_redis(self) -> bool:
        """Whether the last question went to Redis (False without Redis, or while it is away)."""
        return self._shared is not None and self._redis_retry_at == 0.0

    def _ask(self, question: Callable[[MovingWindowRateLimiter, RateLimitItem], bool], limit: str) -> bool:
        item = parse(limit)
        if self._shared is not None and self._clock() >= self._redis_retry_at:
            try:
                answer = question(self._shared, item)
            except StorageError as error:
                self._redis_failed(error)
            else:
                self._redis_retry_at = 0.0
                return answer
        return question(self._local, item)

    def _redis_failed(self, error: StorageError) -> None:
        now = self._clock()
        self._redis_retry_at = now + RETRY_REDIS_SECONDS
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("ratelimit.redis_unavailable", error=type(error.storage_error).__name__)

    def _log_refusal(self, identifiers: tuple[str, ...]) -> None:
        # The first identifier names the limit ("login-ip"); the rest say whom it counts.
        name, *subject = identifiers or ("",)
        fingerprint = security_log.fingerprint(self._secret_key, "\n".join(subject))
        security_log.event("ratelimit.refused", limit=name, subject=fingerprint)
