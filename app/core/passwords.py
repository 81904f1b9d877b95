"""The rules for a new password (NIST SP 800-63B), in one place for every form and command."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from app.core.i18n import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 128
# Shorter pieces of a name or address ("li", "jo") would refuse far too many good passwords.
SHORTEST_PIECE = 4
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's list, loaded on first use (lower-case)."""
    # Importing zxcvbn builds its word lists, a noticeable moment: only when a password is set.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def problem(password: str, *, email: str, name: str) -> str | None:
    """Say what to change in a new password for the person with this address and name, or None."""
    # len() counts code points, so "ü" is one character, as NIST asks and as people count.
    if len(password) < MIN_LENGTH:
        return _("Choose a password of at least %(num)d characters") % {"num": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return _("Choose a password of at most %(num)d characters") % {"num": MAX_LENGTH}
    folded = _fold(password)
    if password.casefold() in common_passwords() or folded in common_passwords():
        return _("This is one of the most common passwords, which are tried first; choose another")
    if _contains_any(folded, email.rpartition("@")[0]):
        return _("Choose a password that does not contain your email address")
    if _contains_any(folded, name):
        return _("Choose a password that does not contain your name")
    return None


def _fold(text: str) -> str:
    """Lower-case letters and digits only, so "Leave me alone!" compares as "leavemealone"."""
    return _NOT_ALPHANUMERIC.sub("", unicodedata.normalize("NFKC", text).casefold())


def _contains_any(folded_password: str, about: str) -> bool:
    """Whether the password holds `about` whole or any of its words of SHORTEST_PIECE or more."""
    words = _NOT_ALPHANUMERIC.split(unicodedata.normalize("NFKC", about).casefold())
    pieces = {_fold(about), *words}
    return any(len(piece) >= SHORTEST_PIECE and piece in folded_password for piece in pieces)
