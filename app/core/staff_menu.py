"""The staff workspace's navigation: its pages grouped by task, each entry shown to the roles
whose capability its page's guard asks (policy.can decides; this table only names the pages)."""

from __future__ import annotations

from dataclasses import dataclass

from app.core import i18n
from app.core.i18n import N_
from app.core.policy import Capability, Role, can


@dataclass(frozen=True)
class Entry:
    """One page of the menu: its route, its name, the capability its guard asks, where it lives."""

    route: str
    label: str
    capability: Capability
    paths: tuple[str, ...]
    exact: bool = False

    def is_current(self, path: str) -> bool:
        """Whether the page at `path` is this entry's page or one below it."""
        return path in self.paths if self.exact else path.startswith(self.paths)


@dataclass(frozen=True)
class Group:
    """Pages that serve one task."""

    label: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Shown:
    """An entry as one person's menu shows it, in the page's language."""

    route: str
    label: str
    current: bool


MENU = (
    Group(
        N_("Review"),
        (
            Entry("admin.dashboard", N_("Dashboard"), Capability.ENTER_STAFF_AREA, ("/admin",), exact=True),
            Entry("admin.requests", N_("Access requests"), Capability.REVIEW_REQUESTS, ("/admin/requests",)),
        ),
    ),
    Group(
        N_("Content"),
        (
            Entry("admin.articles", N_("Articles"), Capability.EDIT_CONTENT, ("/admin/articles",)),
            Entry("admin.media", N_("Media"), Capability.EDIT_CONTENT, ("/admin/media",)),
            Entry(
                "admin.categories",
                N_("Categories and tags"),
                Capability.EDIT_CONTENT,
                ("/admin/categories", "/admin/tags"),
            ),
        ),
    ),
    Group(
        N_("People and records"),
        (
            Entry("admin.users", N_("People"), Capability.MANAGE_MEMBERS, ("/admin/users",)),
            Entry("admin.messages", N_("Messages"), Capability.ANSWER_MESSAGES, ("/admin/messages",)),
            Entry("admin.outbox", N_("Outbox"), Capability.READ_OUTBOX, ("/admin/outbox",)),
            Entry("admin.audit", N_("Audit log"), Capability.READ_AUDIT, ("/admin/audit",)),
        ),
    ),
)


def staff_menu(role: Role | None, path: str) -> list[tuple[str, list[Shown]]]:
    """The groups this role sees, each with the entries it may open; a group with none is left out."""
    shown = []
    for group in MENU:
        entries = [
            Shown(entry.route, i18n.gettext(entry.label), entry.is_current(path))
            for entry in group.entries
            if can(role, entry.capability)
        ]
        if entries:
            shown.append((i18n.gettext(group.label), entries))
    return shown
