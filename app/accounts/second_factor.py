"""The staff second factor: an authenticator app (TOTP), single-use recovery codes, and the login
that waits, in the signed flash cookie, between the password and the code.

Secrets are sealed with AES-GCM under a key derived from PORTAL_SECRET_KEY, and recovery codes are
stored as HMACs under another: a copy of the database alone neither shows a secret nor lets anyone
test guesses offline. Changing PORTAL_SECRET_KEY therefore voids every second factor and recovery
code: codes are refused (never accepted) until the factor is reset and set up again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, MutableMapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import structlog
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.accounts import sessions, totp
from app.accounts.models import RecoveryCode, SecondFactor, User
from app.audit import service as audit
from app.core.config import Settings
from app.core.db import changed_rows, claim, utcnow

log = structlog.get_logger(__name__)

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
HELD_FOR = timedelta(minutes=5)
HELD_KEY = "login_held"
# Failed codes per account; with three codes valid at a time, 5 tries in 15 minutes keep a guesser
# who knows the password below one chance in a thousand a day.
CODE_RATE_LIMIT = "5/15minutes"
SEALED_PREFIX = "v1."


class CodeRefused(Exception):
    """The code is wrong, was used already, or there is no second factor to check it against."""


class AlreadyEnabled(Exception):
    """The second factor is on already; set up a new one only after turning it off."""


# Keys ---------------------------------------------------------------------------------------------


@cache
def _derived_key(secret_key: str, purpose: str) -> bytes:
    # cryptography (about 6 MB a process) loads with the first key, not with every worker.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"portico {purpose}".encode())
    return hkdf.derive(secret_key.encode())


def seal(settings: Settings, secret: str, *, user_id: int) -> str:
    """Encrypt a TOTP secret for storage, bound to its user's id."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    aead = AESGCM(_derived_key(settings.secret_key, "second factor secret v1"))
    sealed = aead.encrypt(nonce, secret.encode(), f"user:{user_id}".encode())
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(settings: Settings, stored: str, *, user_id: int) -> str | None:
    """The TOTP secret, or None when it cannot be read (PORTAL_SECRET_KEY changed, or tampering)."""
    if not stored.startswith(SEALED_PREFIX):
        return None
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(_derived_key(settings.secret_key, "second factor secret v1"))
    try:
        raw = base64.urlsafe_b64decode(stored.removeprefix(SEALED_PREFIX))
        return aead.decrypt(raw[:12], raw[12:], f"user:{user_id}".encode()).decode()
    except (InvalidTag, ValueError):
        log.warning("second_factor_unreadable", user_id=user_id)
        return None


def _recovery_hash(settings: Settings, code: str) -> str:
    key = _derived_key(settings.secret_key, "recovery code v1")
    return hmac.new(key, totp.normalise(code).lower().encode(), hashlib.sha256).hexdigest()


def _password_mark(settings: Settings, user: User) -> str:
    key = _derived_key(settings.secret_key, "held login v1")
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


# Reading ------------------------------------------------------------------------------------------


def _row(db: Session, user: User) -> SecondFactor | None:
    return db.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def is_enabled(db: Session, user: User) -> bool:
    """Whether logging in as `user` asks for a code."""
    query = select(SecondFactor.id).where(
        SecondFactor.user_id == user.id, SecondFactor.enabled_at.is_not(None)
    )
    return db.scalar(query) is not None


def enabled_among(db: Session, user_ids: Iterable[int]) -> set[int]:
    """Which of these users have a second factor on."""
    query = select(SecondFactor.user_id).where(
        SecondFactor.user_id.in_(list(user_ids)), SecondFactor.enabled_at.is_not(None)
    )
    return set(db.scalars(query))


def recovery_codes_left(db: Session, user: User) -> int:
    """How many unused recovery codes `user` still has."""
    query = select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return db.scalar(query) or 0


# Enrolment ----------------------------------------------------------------------------------------


def enrolment_secret(db: Session, settings: Settings, user: User) -> str:
    """Return the secret to set up, created on first call and kept until its first code confirms it."""
    row = _row(db, user)
    if row is not None and row.enabled_at is not None:
        raise AlreadyEnabled
    secret = unseal(settings, row.secret_sealed, user_id=user.id) if row else None
    if secret is None:
        secret = totp.new_secret()
        if row is None:
            row = SecondFactor(user_id=user.id, secret_sealed="")
            db.add(row)
        row.secret_sealed = seal(settings, secret, user_id=user.id)
        db.flush()
    return secret


def enable(db: Session, settings: Settings, user: User, *, code: str, ip: str) -> list[str]:
    """Turn the second factor on with a first code from the app; return the new recovery codes."""
    row = _row(db, user)
    if row is None:
        raise CodeRefused
    if row.enabled_at is not None:
        raise AlreadyEnabled
    step = _matching_step(settings, row, code)
    turned_on = {"enabled_at": utcnow(), "last_step": step}
    if not claim(db, SecondFactor, row.id, expected={"enabled_at": None}, values=turned_on):
        raise AlreadyEnabled
    db.refresh(row)
    codes = _new_recovery_codes(db, settings, user)
    _audit(db, user, "account.second_factor_enabled", user, ip=ip, before="off", after="on")
    return codes


def renew_recovery_codes(db: Session, settings: Settings, user: User, *, ip: str) -> list[str]:
    """Replace every recovery code of `user` with ten new ones."""
    codes = _new_recovery_codes(db, settings, user)
    _audit(db, user, "account.recovery_codes_renewed", user, ip=ip)
    return codes


def _new_recovery_codes(db: Session, settings: Settings, user: User) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODES:
        letters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.add(f"{letters[:5]}-{letters[5:]}")
    db.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(settings, code)) for code in codes)
    db.flush()
    return sorted(codes)


# Checking -----------------------------------------------------------------------------------------


def _matching_step(settings: Settings, row: SecondFactor, code: str) -> int:
    secret = unseal(settings, row.secret_sealed, user_id=row.user_id)
    step = totp.matching_step(secret, code, utcnow()) if secret else None
    if step is None:
        raise CodeRefused
    return step


def verify(
    db: Session, settings: Settings, user: User, *, code: str = "", recovery_code: str = "", ip: str
) -> str:
    """Check a code from the app, or spend a recovery code; return which one it was."""
    row = _row(db, user)
    if row is None or row.enabled_at is None:
        raise CodeRefused
    if recovery_code.strip():
        _spend_recovery_code(db, settings, user, recovery_code, ip=ip)
        return "recovery"
    step = _matching_step(settings, row, code)
    # Compare-and-set: of two requests with the same code, only one moves the step on.
    unused = or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step)
    if not claim(db, SecondFactor, row.id, where=[unused], values={"last_step": step}):
        raise CodeRefused
    db.refresh(row)
    return "code"


def _spend_recovery_code(db: Session, settings: Settings, user: User, code: str, *, ip: str) -> None:
    spent = changed_rows(
        db,
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(settings, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow()),
    )
    if spent != 1:
        raise CodeRefused
    left = recovery_codes_left(db, user)
    reason = f"{left} recovery code{'' if left == 1 else 's'} left"
    _audit(db, user, "account.recovery_code_used", user, ip=ip, reason=reason)


# Turning off --------------------------------------------------------------------------------------


def disable(db: Session, user: User, *, actor: User | None, ip: str, reason: str = "") -> bool:
    """Remove the second factor and recovery codes of `user`; by anyone else it is a reset.

    A reset (by another admin, or by the command line with no actor) also ends every session of
    `user`: whoever holds the lost device must log in again.
    """
    was_on = is_enabled(db, user)
    db.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    if not was_on:
        return False
    by_self = actor is not None and actor.id == user.id
    if not by_self:
        sessions.end_all(db, user.id)
    action = "account.second_factor_disabled" if by_self else "account.second_factor_reset"
    _audit(db, actor, action, user, ip=ip, before="on", after="off", reason=reason)
    return True


def _audit(db: Session, actor: User | None, action: str, user: User, *, ip: str, **fields: str) -> None:
    audit.record(db, actor=actor, action=action, target_type="user", target_id=user.id, ip=ip, **fields)


# The half-done login ------------------------------------------------------------------------------


def hold_login(session: MutableMapping[str, Any], settings: Settings, user: User, *, next_path: str) -> None:
    """Remember in the signed flash cookie, for a few minutes, that this browser knew the password.

    It is no session: it opens nothing but the page that asks for the code.
    """
    session[HELD_KEY] = {
        "user": user.id,
        "until": (utcnow() + HELD_FOR).timestamp(),
        "next": next_path[:500],
        "mark": _password_mark(settings, user),
    }


def held_user(db: Session, settings: Settings, session: MutableMapping[str, Any]) -> User | None:
    """The user whose login waits for the second factor, while the wait is fresh and still valid."""
    held = session.get(HELD_KEY)
    try:
        user_id, until, mark = int(held["user"]), float(held["until"]), str(held["mark"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        drop_held_login(session)
        return None
    user = db.get(User, user_id) if utcnow() < datetime.fromtimestamp(until, utcnow().tzinfo) else None
    # A password changed since, or a second factor reset since, voids the wait.
    still_valid = user is not None and hmac.compare_digest(_password_mark(settings, user), mark)
    if user is None or not still_valid or not is_enabled(db, user):
        drop_held_login(session)
        return None
    return user


def held_next(session: MutableMapping[str, Any]) -> str:
    """Where the waiting login was heading (checked by `safe_next` when it is used)."""
    held = session.get(HELD_KEY)
    return str(held.get("next", "")) if isinstance(held, dict) else ""


def drop_held_login(session: MutableMapping[str, Any]) -> None:
    """Forget the waiting login: it succeeded, expired or no longer applies."""
    session.pop(HELD_KEY, None)
