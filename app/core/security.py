"""Password hashing and random tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache
from typing import TYPE_CHECKING

from app.core.config import Settings

if TYPE_CHECKING:
    from passlib.context import CryptContext


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


def hash_password(settings: Settings, password: str) -> str:
    return str(password_context(settings).hash(password))


def verify_password(settings: Settings, password: str, stored: str | None) -> tuple[bool, str | None]:
    """Check a password; return whether it matched and a new hash if the stored one is outdated.

    An account without a usable hash (unknown address, a staff account whose password was never
    set, a deleted account) is checked against a stand-in hash of the same cost, so that the time
    of the answer cannot tell it apart from an account with a password.
    """
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
