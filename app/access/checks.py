"""Reviewer help: checks on licence numbers and email domains, with messages a reviewer reads.

Three of them can fail outright (an invalid licence number, a licence number another account
uses, a disposable email domain); a request that fails any is approved only when a reviewer
confirms each failed check by name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from app.access.models import AccessRequest
from app.core.config import Settings
from app.core.countries import COUNTRIES
from app.core.email_address import normalise_domain
from app.core.i18n import N_
from app.core.i18n import gettext as _

LicenceStatus = Literal["valid", "invalid", "unknown_format"]
DomainStatus = Literal["trusted", "disposable", "unknown"]

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() would accept "²" and other scripts' digits
_SEPARATORS = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class LicenceCheck:
    """A verdict on a licence number: which scheme, whether it passed, and why."""

    scheme: str | None
    status: LicenceStatus
    message: str


@dataclass(frozen=True)
class DomainCheck:
    """A verdict on an email domain: allow-listed, disposable or neither."""

    domain: str
    status: DomainStatus
    message: str


@dataclass(frozen=True)
class _Scheme:
    """A national licence format: its length, Luhn prefix and any digits it fixes."""

    name: str
    length: int
    luhn_prefix: str = ""  # digits the Luhn sum runs over before the number itself
    fixed_at: int = 0
    fixed: str = ""
    fixed_meaning: str = ""


_SCHEMES = {
    # EFN: 2 digits profession group ("80" for physicians, but other groups exist, so not enforced),
    # then 276, the ISO 3166 numeric code for Germany, which every EFN carries at digits 3 to 5.
    "DE": _Scheme("EFN", 15, fixed_at=2, fixed="276", fixed_meaning=N_("Germany's country code")),
    # NPI: 80840 is its ISO 7812 issuer prefix (80 health, 840 USA); it adds a constant 24 to the sum.
    "US": _Scheme("NPI", 10, luhn_prefix="80840"),
    "FR": _Scheme("RPPS", 11),
}


# The checks an approval must override by name, in the order a reviewer reads them; the names
# are translated where they are shown (the audit trail keeps the keys).
FAILED_CHECKS = {
    "licence_invalid": N_("Licence number not valid"),
    "licence_shared": N_("Licence number used by another account"),
    "email_disposable": N_("Disposable email domain"),
}


@dataclass(frozen=True)
class RowChecks:
    """One request's checks as the queue shows them: each verdict, the document, the failures."""

    licence: LicenceCheck
    licence_shared: bool
    domain: DomainCheck
    document: bool

    @property
    def failed(self) -> tuple[str, ...]:
        """The checks this request fails, as keys of FAILED_CHECKS."""
        found = {
            "licence_invalid": self.licence.status == "invalid",
            "licence_shared": self.licence_shared,
            "email_disposable": self.domain.status == "disposable",
        }
        return tuple(name for name in FAILED_CHECKS if found[name])


def row_checks(db: Session, settings: Settings, requests: Sequence[AccessRequest]) -> dict[int, RowChecks]:
    """Check every request at once: the licence numbers other accounts use are one statement."""
    shared = _shared_licences(db, {request.licence_number for request in requests})
    return {
        request.id: RowChecks(
            licence=check_licence(request.licence_number, request.licence_country),
            licence_shared=request.licence_number in shared,
            domain=domain_verdict(request.user.email, settings.trusted_domains),
            document=request.document_path is not None,
        )
        for request in requests
    }


def failed_checks(db: Session, settings: Settings, request: AccessRequest) -> tuple[str, ...]:
    """Name the checks this request fails, as keys of FAILED_CHECKS."""
    return row_checks(db, settings, [request])[request.id].failed


def _shared_licences(db: Session, numbers: Collection[str]) -> set[str]:
    """The licence numbers among `numbers` that more than one account has asked for access with."""
    if not numbers:
        return set()
    query = (
        select(AccessRequest.licence_number)
        .where(AccessRequest.licence_number.in_(numbers))
        .group_by(AccessRequest.licence_number)
        .having(func.count(distinct(AccessRequest.user_id)) > 1)
    )
    return set(db.scalars(query))


def luhn_check_digit(payload: str) -> int:
    """Return the digit that, appended to payload, makes the whole pass the Luhn check."""
    if not _DIGITS.fullmatch(payload):
        raise ValueError(f"Luhn payload must be ASCII digits, got {payload!r}")
    total = 0
    # The check digit will sit to the right, so doubling starts at the payload's last digit.
    for position, char in enumerate(reversed(payload)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return (10 - total % 10) % 10


def luhn_valid(digits: str) -> bool:
    """True when digits end in the correct Luhn check digit."""
    if len(digits) < 2 or not _DIGITS.fullmatch(digits):
        return False
    return luhn_check_digit(digits[:-1]) == int(digits[-1])


def check_licence(number: str, country: str) -> LicenceCheck:
    """Check a licence number against the known format of the country that issued it."""
    code = country.strip().upper()
    scheme = _SCHEMES.get(code)
    if scheme is None:
        country_name = COUNTRIES.get(code, code) or _("an unnamed country")
        message = _("No known format for licences from %(country)s; check it by hand") % {
            "country": country_name
        }
        return LicenceCheck(None, "unknown_format", message)
    problem = _licence_problem(scheme, _SEPARATORS.sub("", number))
    if problem:
        message = _("Not a valid %(scheme)s: %(problem)s") % {"scheme": scheme.name, "problem": problem}
        return LicenceCheck(scheme.name, "invalid", message)
    message = _("Valid %(scheme)s (%(length)d digits, check digit correct)") % {
        "scheme": scheme.name,
        "length": scheme.length,
    }
    return LicenceCheck(scheme.name, "valid", message)


def _licence_problem(scheme: _Scheme, digits: str) -> str | None:
    """Say what is wrong with digits under scheme, or None when nothing is."""
    if not digits:
        return _("no number was given")
    if not _DIGITS.fullmatch(digits):
        return _("it may contain only digits, spaces and hyphens")
    if len(digits) != scheme.length:
        return _("it should have %(length)d digits, not %(found)d") % {
            "length": scheme.length,
            "found": len(digits),
        }
    expected = luhn_check_digit(scheme.luhn_prefix + digits[:-1])
    if int(digits[-1]) != expected:
        return _("the check digit should be %(digit)d") % {"digit": expected}
    found = digits[scheme.fixed_at : scheme.fixed_at + len(scheme.fixed)]
    if found != scheme.fixed:
        first, last = scheme.fixed_at + 1, scheme.fixed_at + len(scheme.fixed)
        return _("digits %(first)d to %(last)d should be %(fixed)s (%(meaning)s), not %(found)s") % {
            "first": first,
            "last": last,
            "fixed": scheme.fixed,
            "meaning": _(scheme.fixed_meaning),
            "found": found,
        }
    return None


def email_domain(email: str) -> str:
    """Return the lowercased domain after the last @, or "" when there is no @."""
    _before, at, domain = email.strip().rpartition("@")
    return _normalise(domain) if at else ""


def is_disposable(domain: str) -> bool:
    """True when domain, or a domain it sits under, is a known disposable-mail domain."""
    return _listed_parent(_normalise(domain), _disposable_domains()) is not None


def domain_verdict(email: str, trusted: frozenset[str]) -> DomainCheck:
    """Say whether the email's domain is allow-listed, disposable or neither."""
    domain = email_domain(email)
    if not domain:
        return DomainCheck("", "unknown", _("The email address has no domain to check"))
    # The society's own allow-list is a deliberate choice, so it outranks the bundled generic list.
    allowed = frozenset(_normalise(name) for name in trusted)
    if match := _listed_parent(domain, allowed):
        return DomainCheck(domain, "trusted", _listed(domain, match, _("on the allow-list")))
    if match := _listed_parent(domain, _disposable_domains()):
        return DomainCheck(domain, "disposable", _listed(domain, match, _("a known disposable-mail domain")))
    message = _("%(domain)s is neither on the allow-list nor a known disposable-mail domain") % {
        "domain": domain
    }
    return DomainCheck(domain, "unknown", message)


def _normalise(domain: str) -> str:
    """A domain in the form addresses are stored in: ASCII (IDNA), lower-case, no root dot."""
    return normalise_domain(domain)


def _listed_parent(domain: str, listed: Collection[str]) -> str | None:
    """Return domain or the nearest domain it sits under that is in listed."""
    labels = domain.split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in listed:
            return candidate
    return None


def _listed(domain: str, match: str, what: str) -> str:
    """Phrase a list hit, naming the listed parent when the domain is a subdomain of it."""
    if domain == match:
        return _("%(domain)s is %(what)s") % {"domain": domain, "what": what}
    return _("%(domain)s is under %(parent)s, which is %(what)s") % {
        "domain": domain,
        "parent": match,
        "what": what,
    }


@cache
def _disposable_domains() -> frozenset[str]:
    """Load the bundled disposable-mail list once: one domain a line, # starts a comment."""
    text = resources.files("app.access").joinpath("disposable_domains.txt").read_text(encoding="utf-8")
    entries = (_normalise(line.split("#", 1)[0]) for line in text.splitlines())
    return frozenset(entry for entry in entries if entry)
