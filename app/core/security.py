"""Password hashing and random tokens.

Hashing a password costs about 0.3 s of CPU (argon2id at the production cost), most of a core.
It runs on a few threads of its own per worker, at a lower scheduling priority (nice
HASHING_NICENESS, per thread on Linux), so the pages served beside a login get the CPU first and
logins take the time that is left: a burst of logins waits instead of slowing every reader. A
worker lets `password_hashing_waiting` checks wait; past that, or after waiting
`password_hashing_wait_seconds`, `PasswordHashingBusy` is raised and the person is asked to try
again (503, app/core/unavailable.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from app.core.config import Settings

if TYPE_CHECKING:
    from passlib.context import CryptContext

T = TypeVar("T")
# Linux's per-thread nice: a waiting page's thread (nice 0) weighs about ten times a hashing one.
HASHING_NICENESS = 10


class PasswordHashingBusy(Exception):
    """More password checks are waiting in this worker than it takes on; nothing was checked."""


class _HashingThreads:
    """A few low-priority threads for password hashing, with a bounded number of places to wait."""

    def __init__(self, threads: int, waiting: int, wait_seconds: float) -> None:
        self._executor = ThreadPoolExecutor(
            threads, thread_name_prefix="password-hashing", initializer=_lower_priority
        )
        self._places = threading.BoundedSemaphore(threads + waiting)
        self._wait_seconds = wait_seconds

    def run(self, work: Callable[[], T]) -> T:
        if not self._places.acquire(blocking=False):
            raise PasswordHashingBusy
        try:
            future = self._executor.submit(work)
            try:
                return future.result(timeout=self._wait_seconds)
            except FutureTimeout:
                # Still waiting for a thread: give up the place. Already hashing: let it finish.
                if future.cancel():
                    raise PasswordHashingBusy from None
                return future.result()
        except CancelledError:
            raise PasswordHashingBusy from None
        finally:
            self._places.release()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


def _lower_priority() -> None:
    if sys.platform == "linux":  # elsewhere the call would lower the whole process, or fail
        # A sandbox that forbids it: hash at the normal priority.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


_threads: dict[tuple[int, int, int, float], _HashingThreads] = {}
_threads_lock = threading.Lock()


def _hashing(settings: Settings) -> _HashingThreads:
    """This process's hashing threads (a forked worker starts its own: threads do not survive a fork)."""
    key = (
        os.getpid(),
        settings.password_hashing_threads,
        settings.password_hashing_waiting,
        settings.password_hashing_wait_seconds,
    )
    with _threads_lock:
        if key not in _threads:
            _threads[key] = _HashingThreads(*key[1:])
        return _threads[key]


@cache
def _context(time_cost: int, memory_kib: int, parallelism: int) -> CryptContext:
    # passlib and its argon2 handler load with the first password check, not with every worker.
    from passlib.context import CryptContext

    return CryptContext(
        schemes=["argon2", "bcrypt"],
        deprecated="auto",
        argon2__type="ID",
        argon2__time_cost=time_cost,
        argon2__memory_cost=memory_kib,
        argon2__parallelism=parallelism,
    )


def password_context(settings: Settings) -> CryptContext:
    """argon2id with the configured cost; bcrypt hashes still verify and are upgraded."""
    return _context(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)


def stop_hashing_threads() -> None:
    """End this process's hashing threads (while nothing hashes); the next check starts them again.

    `portal serve --demo` hashes the demo's passwords before it starts its workers, and a process
    with a thread besides its main one must not fork (app/core/serving.py).
    """
    with _threads_lock:
        for threads in _threads.values():
            threads.shutdown()
        _threads.clear()


def hash_password(settings: Settings, password: str) -> str:
    """Hash a new password on the low-priority hashing threads; raise PasswordHashingBusy when full."""
    return _hashing(settings).run(lambda: str(password_context(settings).hash(password)))


def verify_password(settings: Settings, password: str, stored: str | None) -> tuple[bool, str | None]:
    """Check a password; return whether it matched and a new hash if the stored one is outdated.

    An account without a usable hash (unknown address, a staff account whose password was never
    set, a deleted account) is checked against a stand-in hash of the same cost, so that the time
    of the answer cannot tell it apart from an account with a password. Runs on the hashing
    threads; raises PasswordHashingBusy when they are full.
    """
    return _hashing(settings).run(lambda: _verify(settings, password, stored))


def _verify(settings: Settings, password: str, stored: str | None) -> tuple[bool, str | None]:
    context = password_context(settings)
    usable = bool(stored) and context.identify(stored, required=False) is not None
    try:
        matched, new_hash = context.verify_and_update(password, stored if usable else _stand_in(settings))
    except ValueError:  # a damaged hash of a known scheme: spend a real check's time all the same
        context.verify(password, _stand_in(settings))
        return False, None
    return (matched, new_hash) if usable else (False, None)


def _stand_in(settings: Settings) -> str:
    return _stand_in_hash(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)


@cache
def _stand_in_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    """A hash of a random secret that nobody knows, made once per cost."""
    return str(_context(time_cost, memory_kib, parallelism).hash(secrets.token_urlsafe(32)))


def new_token() -> tuple[str, str]:
    """A random URL-safe token and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
