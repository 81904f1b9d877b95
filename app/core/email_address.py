"""Email addresses in one form, for storing, comparing and looking up: Unicode NFKC, lower-case,
the domain in its ASCII (IDNA) form without the root dot. Lookalike addresses are refused.

Dotless ı, Cyrillic а and the like survive NFKC and case folding, so no normal form can make
`mıke@…` equal `mike@…`. The part before the @ must therefore be plain ASCII (few mail systems
accept anything else there), and a domain label must not mix alphabets the way lookalike
domains do (UTS #39, "highly restrictive").
"""

from __future__ import annotations

import re
import unicodedata

import idna

from app.core.i18n import N_
from app.core.i18n import gettext as _

MAX_LENGTH = 320  # what the account's email column holds
INVALID = N_("Enter an email address such as name@example.org")
NOT_PLAIN = N_("Use plain letters a\u2013z, digits and signs such as . _ + - before the @")
MIXED = N_("The domain mixes letters of different alphabets, as lookalike addresses do; check it")
# No characters that would break or extend a mail header: the outbox refuses such addresses later.
_SHAPE = re.compile(r'[^@\s<>,;"]+@[^@\s<>,;"]+\.[^@\s<>,;"]+')
# Scripts that may share a label (UTS #39 highly restrictive); any other mix is refused.
_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)


class AddressRefused(ValueError):
    """Not an address we accept; the message says what to change."""


def normalise(text: str) -> str:
    """The one form of an address as typed, for looking it up; never refuses anything."""
    plain = unicodedata.normalize("NFKC", text).strip()
    local, at, domain = plain.rpartition("@")
    return f"{local.lower()}@{normalise_domain(domain)}" if at else plain.lower()


def normalise_domain(domain: str) -> str:
    """A domain in its ASCII form, lower-case, without the root dot (as typed if it is no domain)."""
    plain = unicodedata.normalize("NFKC", domain).strip().lower().removesuffix(".")
    return _ascii_domain(plain) or plain


def checked(text: str) -> str:
    """The one form of an address typed into a form, or AddressRefused saying what to change."""
    local, at, domain = unicodedata.normalize("NFKC", text).strip().rpartition("@")
    if not at or not local:
        raise AddressRefused(_(INVALID))
    if not (local.isascii() and local.isprintable()):
        raise AddressRefused(_(NOT_PLAIN))
    ascii_domain = _ascii_domain(domain.lower().removesuffix("."))
    if ascii_domain is None:
        raise AddressRefused(_(INVALID))
    if any(_mixes_scripts(label) for label in idna.decode(ascii_domain).split(".")):
        raise AddressRefused(_(MIXED))
    address = f"{local.lower()}@{ascii_domain}"
    if len(address) > MAX_LENGTH or not _SHAPE.fullmatch(address):
        raise AddressRefused(_(INVALID))
    return address


def _ascii_domain(domain: str) -> str | None:
    """The domain with each label in its IDNA (punycode) form, or None if it is not a valid domain."""
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def _mixes_scripts(label: str) -> bool:
    """Whether the label's letters come from alphabets that lookalike domains mix."""
    scripts = {_script(char) for char in label if unicodedata.category(char).startswith("L")}
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _MIXES)


def _script(letter: str) -> str:
    # The first word of a letter's Unicode name is its script: "CYRILLIC SMALL LETTER A".
    return unicodedata.name(letter, "UNKNOWN").split(" ", 1)[0]
