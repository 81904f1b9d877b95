"""The access rules: what a viewer may read, and what each staff role may do.

Every surface (pages, listings, feeds, API, media) asks `may_read`, or its SQL form `readable`
where a query filters; every guard, panel and menu entry asks `can`. Nothing else decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum

from sqlalchemy import ColumnElement, SQLColumnExpression, literal, or_, true

from app.core.i18n import N_, Labels


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


# Each profession's name as a heading, a badge or a filter shows it (translated where it is read).
PROFESSION_LABELS = Labels(
    {
        Profession.PHYSICIAN: N_("Physicians"),
        Profession.DENTIST: N_("Dentists"),
        Profession.PHARMACIST: N_("Pharmacists"),
        Profession.VETERINARIAN: N_("Veterinarians"),
        Profession.PSYCHOTHERAPIST: N_("Psychotherapists"),
        Profession.NATUROPATH: N_("Naturopaths"),
        Profession.PHYSIOTHERAPIST: N_("Physiotherapists"),
        Profession.THERAPIST: N_("Therapists"),
        Profession.OTHER: N_("Other health professionals"),
    }
)
# One person's profession, where a page or an email names it ("Profession: Physician").
PROFESSION_NAMES = Labels(
    {
        Profession.PHYSICIAN: N_("Physician"),
        Profession.DENTIST: N_("Dentist"),
        Profession.PHARMACIST: N_("Pharmacist"),
        Profession.VETERINARIAN: N_("Veterinarian"),
        Profession.PSYCHOTHERAPIST: N_("Psychotherapist"),
        Profession.NATUROPATH: N_("Naturopath"),
        Profession.PHYSIOTHERAPIST: N_("Physiotherapist"),
        Profession.THERAPIST: N_("Therapist"),
        Profession.OTHER: N_("Other health professional"),
    }
)
# The same names inside a sentence ("reserved for physicians"). English writes them in lower case
# there and German does not, so each language says it in its catalog rather than by a `lower`.
PROFESSION_NAMES_IN_TEXT = Labels(
    {
        Profession.PHYSICIAN: N_("physicians"),
        Profession.DENTIST: N_("dentists"),
        Profession.PHARMACIST: N_("pharmacists"),
        Profession.VETERINARIAN: N_("veterinarians"),
        Profession.PSYCHOTHERAPIST: N_("psychotherapists"),
        Profession.NATUROPATH: N_("naturopaths"),
        Profession.PHYSIOTHERAPIST: N_("physiotherapists"),
        Profession.THERAPIST: N_("therapists"),
        Profession.OTHER: N_("other health professionals"),
    }
)
CIRCLE_LABELS = Labels({"professional": N_("Health professionals"), "prescribers": N_("Prescribers")})
CIRCLE_NAMES_IN_TEXT = Labels({"professional": N_("health professionals"), "prescribers": N_("prescribers")})

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
    # The named circle the audience was given as ("prescribers"), if it was; its name is shown.
    circle: str = field(default="", compare=False)

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
    circle = words[0] if len(words) == 1 and words[0] in NAMED_AUDIENCES else ""
    return Audience(frozenset(professions), label=describe(frozenset(professions), words), circle=circle)


def describe(professions: frozenset[Profession], words: list[str]) -> str:
    """The audience's name in English, the language of data (the API, the audit trail)."""
    if len(words) == 1 and words[0] in NAMED_AUDIENCES:
        return CIRCLE_LABELS.source(words[0])
    return ", ".join(PROFESSION_LABELS.source(p) for p in sorted(professions))


def audience_label(audience: Audience) -> str:
    """The audience's name in the current language, as a heading or a list shows it."""
    if audience.circle:
        return CIRCLE_LABELS[audience.circle]
    return ", ".join(PROFESSION_LABELS[p] for p in sorted(audience.professions))


def audience_in_text(audience: Audience) -> str:
    """The audience's name in the current language inside a sentence: "for physicians, dentists"."""
    if audience.circle:
        return CIRCLE_NAMES_IN_TEXT[audience.circle]
    return ", ".join(PROFESSION_NAMES_IN_TEXT[p] for p in sorted(audience.professions))


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


def reading_variant(viewer: Viewer) -> str:
    """Name what `viewer` reads: two viewers with the same variant are shown the same pages.

    Made of every field of `Viewer`, since that is all the access rule, the locked panels and the
    navigation learn about a reader: whatever decides from it decides the same for both. The
    logged-in readers' page cache (core/reader_cache.py) keeps one page per variant.
    """
    return "|".join(f"{field.name}={getattr(viewer, field.name)}" for field in fields(Viewer))


def readable(
    viewer: Viewer, *, public: SQLColumnExpression[bool], professions: SQLColumnExpression[str]
) -> ColumnElement[bool]:
    """`may_read` as an SQL condition over a row's public flag and its space-separated professions.

    A row that is not public and names no profession is for staff only, never for everyone.
    """
    if viewer.is_staff:
        return true()
    if viewer.profession is None:
        return public.is_(True)
    padded = literal(" ") + professions + literal(" ")
    return or_(public.is_(True), padded.contains(f" {viewer.profession.value} ", autoescape=True))


def stored_professions(professions: frozenset[Profession]) -> str:
    """The professions column `readable` expects: names, sorted, space-separated."""
    return " ".join(sorted(professions))


def may_read_gated(viewer: Viewer) -> bool:
    """Whether the viewer may read anything meant for professionals (the professional area)."""
    return may_read(viewer, Audience(NAMED_AUDIENCES["professional"]))


class Role(StrEnum):
    MEMBER = "member"
    REVIEWER = "reviewer"
    EDITOR = "editor"
    ADMIN = "admin"


# A role as staff pages and messages name it; translated where it is shown.
ROLE_NAMES = {
    Role.MEMBER: N_("member"),
    Role.REVIEWER: N_("reviewer"),
    Role.EDITOR: N_("editor"),
    Role.ADMIN: N_("admin"),
}


class Capability(StrEnum):
    """What a staff role may do; each guard, dashboard panel and menu entry names one."""

    ENTER_STAFF_AREA = "enter_staff_area"  # the dashboard, and setting up one's second factor
    ANSWER_MESSAGES = "answer_messages"
    REVIEW_REQUESTS = "review_requests"
    MANAGE_MEMBERS = "manage_members"  # the people pages; ending a member's sessions
    READ_OUTBOX = "read_outbox"
    EDIT_CONTENT = "edit_content"  # articles, media, categories and tags
    MANAGE_STAFF = "manage_staff"  # add staff, change roles, reset a second factor, end their sessions
    READ_AUDIT = "read_audit"
    READ_DEMO_MAIL = "read_demo_mail"  # message text and links in the development outbox


_EVERY_STAFF_ROLE = frozenset({Capability.ENTER_STAFF_AREA, Capability.ANSWER_MESSAGES})

# The one table from role to what it may do (SPEC 2: reviewers review and manage professional
# accounts, editors edit, admins do everything).
CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.MEMBER: frozenset(),
    Role.REVIEWER: _EVERY_STAFF_ROLE
    | {Capability.REVIEW_REQUESTS, Capability.MANAGE_MEMBERS, Capability.READ_OUTBOX},
    Role.EDITOR: _EVERY_STAFF_ROLE | {Capability.EDIT_CONTENT},
    Role.ADMIN: frozenset(Capability),
}


def can(role: Role | None, capability: Capability) -> bool:
    """Decide whether a role (None: nobody logged in) may do what `capability` names."""
    return role is not None and capability in CAPABILITIES[role]


def roles_that_can(capability: Capability) -> frozenset[Role]:
    """The roles that hold a capability, e.g. to find whom a digest is for."""
    return frozenset(role for role in Role if can(role, capability))


STAFF_ROLES = roles_that_can(Capability.ENTER_STAFF_AREA)


def must_use_second_factor(role: Role) -> bool:
    """Whether this role opens staff pages only with a second factor on (SPEC 5: admins must)."""
    # Whoever may manage staff can hand out every other capability: that power needs two factors.
    return can(role, Capability.MANAGE_STAFF)


class RouteAccess(StrEnum):
    """Who may open a route. What the route then shows still passes through `may_read`."""

    PUBLIC = "public"
    MEMBER = "member"
    STAFF = "staff"
    REVIEWER = "reviewer"
    EDITOR = "editor"
    ADMIN = "admin"


async def public() -> None:
    """Anyone may open this route: a dependency that declares it, for the route audit."""


public.route_access = RouteAccess.PUBLIC  # type: ignore[attr-defined]


def route_access(capability: Capability) -> RouteAccess:
    """How the route audit names a route guarded by `capability`: by the roles it admits."""
    holders = roles_that_can(capability)
    if holders == STAFF_ROLES:
        return RouteAccess.STAFF
    if holders == {Role.ADMIN}:
        return RouteAccess.ADMIN
    (role,) = holders - {Role.ADMIN}
    return RouteAccess(role.value)
