"""Time-based one-time passwords (RFC 6238, over RFC 4226's HOTP): SHA-1, 6 digits, 30-second steps.

These are the parameters every authenticator app understands; anything else is silently ignored by
some of them, which locks people out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now, for a phone whose clock is a little off
SECRET_BYTES = 20  # 160 bits, the size RFC 4226 recommends for SHA-1


def new_secret() -> str:
    """A random secret in base32, as authenticator apps expect it."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """The HOTP value of `counter` (RFC 4226, section 5.3: dynamic truncation)."""
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def time_step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def code_at(secret: str, at: datetime, digits: int = DIGITS) -> str:
    """The code an authenticator app shows at time `at`."""
    return hotp(_key(secret), time_step(at), digits)


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code `code` is, within the window around `at`; None if it is none."""
    code = normalise(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    key, now = _key(secret), time_step(at)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(hotp(key, step), code):
            found = step
    return found


def normalise(code: str) -> str:
    """What people type, without the spaces and dashes apps show for readability."""
    return "".join(code.split()).replace("-", "")


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The `otpauth://` address a QR code carries (the Key Uri Format authenticator apps read)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS})
    return f"otpauth://totp/{label}?{query}&period={STEP_SECONDS}"
