"""Rate limits for login, password reset and the access request: in memory, or in Redis when
PORTAL_REDIS_URL is set, so that several processes share the same counts.

Redis is asked with short timeouts. While it cannot be reached, limits count in this process's own
memory (a `ratelimit.redis_unavailable` warning at most once a minute) and Redis is tried again
every few seconds, so counting goes back to it when it returns. Nothing but rate limits uses Redis:
gated content never waits on it.

Every refusal is logged as `ratelimit.refused`, with the limit's name and a fingerprint of whom it
counts (an address, an email, an account), never the identifier itself.

The `limits` library (half a second of start-up) is loaded by the first form that counts, not by
every worker that only serves pages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import structlog

from app.core import security_log
from app.core.config import Settings

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.errors import StorageError
    from limits.strategies import MovingWindowRateLimiter

log = structlog.get_logger(__name__)

# After a failure, Redis is left alone this long: a dead Redis costs one timeout per interval.
RETRY_REDIS_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0
REDIS_SCHEMES = frozenset({"redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster"})


class RateLimiter:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        if settings.redis_url and urlsplit(settings.redis_url).scheme not in REDIS_SCHEMES:
            # Said at start-up, as when the store was built here, not by the first login.
            raise ValueError(f"PORTAL_REDIS_URL must start with one of {sorted(REDIS_SCHEMES)}")
        self._redis_url = settings.redis_url
        self._redis_timeout = settings.redis_timeout_seconds
        self._limiters: tuple[MovingWindowRateLimiter, MovingWindowRateLimiter | None] | None = None
        self._loading = threading.Lock()
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
        if self._limiters is None:
            return
        local, shared = self._limiters
        local.storage.reset()
        if shared is not None:
            shared.storage.reset()

    @property
    def using_redis(self) -> bool:
        """Whether the last question went to Redis (False without Redis, or while it is away)."""
        return bool(self._redis_url) and self._redis_retry_at == 0.0

    def _ask(self, question: Callable[[MovingWindowRateLimiter, RateLimitItem], bool], limit: str) -> bool:
        from limits import parse
        from limits.errors import StorageError

        local, shared = self._load()
        item = parse(limit)
        if shared is not None and self._clock() >= self._redis_retry_at:
            try:
                answer = question(shared, item)
            except StorageError as error:
                self._redis_failed(error)
            else:
                self._redis_retry_at = 0.0
                return answer
        return question(local, item)

    def _load(self) -> tuple[MovingWindowRateLimiter, MovingWindowRateLimiter | None]:
        if self._limiters is not None:
            return self._limiters
        # Once per process; the lock keeps two first requests from counting in two stores.
        with self._loading:
            if self._limiters is None:
                from limits.storage import MemoryStorage, storage_from_string
                from limits.strategies import MovingWindowRateLimiter

                shared = None
                if self._redis_url:
                    storage = storage_from_string(
                        self._redis_url,
                        wrap_exceptions=True,
                        socket_timeout=self._redis_timeout,
                        socket_connect_timeout=self._redis_timeout,
                    )
                    shared = MovingWindowRateLimiter(storage)
                self._limiters = (MovingWindowRateLimiter(MemoryStorage()), shared)
            return self._limiters

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
