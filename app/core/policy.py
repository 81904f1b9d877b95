"""The one access rule: what a viewer may read of an audience-restricted item.

Every surface (pages, listings, feeds, API, media) asks `may_read`; nothing else decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Profession(StrEnum):
    PHYSICIAN = "physician"
    DENTIST = "dentist"
    PHARMACIST = "pharmacist"
    VETERINARIAN = "veterinarian"
    PSYCHOTHERAPIST = "psychotherapist"
    NATUROPATH = "naturopath"
    PHYSIOTHERAPIST = "physiotherapist"
    THERAPIST = "therapist"
    OTHER = "other"


PROFESSION_LABELS = {
    Profession.PHYSICIAN: "Physicians",
    Profession.DENTIST: "Dentists",
    Profession.PHARMACIST: "Pharmacists",
    Profession.VETERINARIAN: "Veterinarians",
    Profession.PSYCHOTHERAPIST: "Psychotherapists",
    Profession.NATUROPATH: "Naturopaths",
    Profession.PHYSIOTHERAPIST: "Physiotherapists",
    Profession.THERAPIST: "Therapists",
    Profession.OTHER: "Other health professionals",
}

# Named circles. `prescribers` is the circle to which prescription-medicine information may be
# addressed under German and EU advertising rules.
NAMED_AUDIENCES: dict[str, frozenset[Profession]] = {
    "professional": frozenset(Profession),
    "prescribers": frozenset(
        {Profession.PHYSICIAN, Profession.DENTIST, Profession.VETERINARIAN, Profession.PHARMACIST}
    ),
}


class AudienceError(ValueError):
    """An audience names something that is neither a profession nor a named circle."""


@dataclass(frozen=True)
class Audience:
    """Who may read an item; an empty set of professions means everyone."""

    professions: frozenset[Profession]
    label: str = ""

    @property
    def is_public(self) -> bool:
        return not self.professions

    @property
    def is_every_profession(self) -> bool:
        return self.professions == NAMED_AUDIENCES["professional"]


PUBLIC = Audience(frozenset())


def parse_audience(text: str | list[str] | None) -> Audience:
    """Parse `professional`, `prescribers` or profession names (space-separated or a list)."""
    words = text.split() if isinstance(text, str) else list(text or [])
    if not words or words == ["public"]:
        return PUBLIC
    professions: set[Profession] = set()
    for word in words:
        word = word.strip().lower()
        if word in NAMED_AUDIENCES:
            professions |= NAMED_AUDIENCES[word]
        elif word in Profession.__members__.values():
            professions.add(Profession(word))
        else:
            known = ", ".join([*NAMED_AUDIENCES, *Profession])
            raise AudienceError(f"unknown audience {word!r} (known: {known})")
    return Audience(frozenset(professions), label=describe(frozenset(professions), words))


def describe(professions: frozenset[Profession], words: list[str]) -> str:
    if len(words) == 1 and words[0] in NAMED_AUDIENCES:
        return {"professional": "Health professionals", "prescribers": "Prescribers"}[words[0]]
    return ", ".join(PROFESSION_LABELS[p] for p in sorted(professions))


@dataclass(frozen=True)
class Viewer:
    """Who is asking. A professional has a profession; only an approved request gives one.

    `needs_consent`: a professional who has yet to accept the current terms, and who reads, until
    they do, as a member without a profession.
    """

    profession: Profession | None = None
    is_staff: bool = False
    logged_in: bool = False
    request_state: str | None = None
    needs_consent: bool = False

    @property
    def is_visitor(self) -> bool:
        return not self.logged_in


VISITOR = Viewer()


def may_read(viewer: Viewer, audience: Audience) -> bool:
    """Decide whether `viewer` may read an item meant for `audience`."""
    if audience.is_public or viewer.is_staff:
        return True
    return viewer.profession is not None and viewer.profession in audience.professions


class RouteAccess(StrEnum):
    """Who may open a route. What the route then shows still passes through `may_read`."""

    PUBLIC = "public"
    MEMBER = "member"
    STAFF = "staff"
    REVIEWER = "reviewer"
    EDITOR = "editor"
    ADMIN = "admin"


def public() -> None:
    """Anyone may open this route: a dependency that declares it, for the route audit."""


public.route_access = RouteAccess.PUBLIC  # type: ignore[attr-defined]
