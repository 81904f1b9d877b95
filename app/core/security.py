"""Password hashing and random tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from passlib.context import CryptContext

from app.core.config import Settings


@cache
def _context(time_cost: int, memory_kib: int, parallelism: int) -> CryptContext:
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
    return password_context(settings).hash(password)


def verify_password(settings: Settings, password: str, stored: str | None) -> tuple[bool, str | None]:
    """Check a password; return whether it matched and a new hash if the stored one is outdated."""
    context = password_context(settings)
    if not stored:
        # Spend the same time as a real check, so a missing account cannot be told apart.
        context.dummy_verify()
        return False, None
    try:
        return context.verify_and_update(password, stored)
    except ValueError:  # an unusable hash, e.g. a staff account whose password was never set
        return False, None


def new_token() -> tuple[str, str]:
    """A random URL-safe token and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
