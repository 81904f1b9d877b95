"""The audit trail told as sentences, one function per kind of event, in the page's language:
"Dr Pat Pending confirmed their email address; the request is waiting for review".

People are named as they are called today (an erased account by its anonymous marker); what a
person wrote (a question, a reason) is quoted as written. A kind of event without a sentence of
its own still reads as one (grammar.generic).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup
from sqlalchemy.orm import Session

from app.access import service as access_service
from app.accounts import people
from app.admin.audit_sentences import accounts, content, requests
from app.admin.audit_sentences.grammar import SENTENCES, Party, Told, generic
from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.i18n import N_, Labels
from app.core.i18n import gettext as _

__all__ = ["accounts", "content", "describe", "kind_name", "requests", "tell"]

# Builds a page's address from a route's name and its parameters (app.url_path_for).
Linker = Callable[..., str]

TARGET_KINDS = Labels(
    {
        "access_request": N_("access request"),
        "user": N_("account"),
        "article": N_("article"),
        "media_file": N_("media file"),
        "category": N_("category"),
        "tag": N_("tag"),
        "contact_message": N_("contact message"),
        "outbox": N_("outbox"),
    }
)


def kind_name(kind: str) -> str:
    """What an event is about ("access_request"), named in the page's language, or made readable."""
    return TARGET_KINDS[kind] if kind in TARGET_KINDS else kind.replace("_", " ")


def describe(told: Told) -> Markup:
    """The event as one sentence in the page's language."""
    return SENTENCES.get(told.event.action, generic)(told)


class _Cast:
    """The names the sentences of a page of events need, found with one query each."""

    def __init__(self, db: Session, events: Sequence[AuditEvent], link: Linker | None) -> None:
        requests_ids = {e.target_id for e in events if e.target_type == "access_request" and e.target_id}
        self.applicants = access_service.applicants(db, requests_ids)
        users = [e.actor_id for e in events] + [e.target_id for e in events if e.target_type == "user"]
        users += [user_id for user_id, _name in self.applicants.values()]
        self.names = people.names(db, users)
        self.link = link

    def _person(self, user_id: int, name: str | None = None) -> Party:
        shown = name or self.names.get(user_id) or _("account #%(id)s") % {"id": user_id}
        return Party(shown, self.link("admin.user", user_id=user_id) if self.link else None)

    def actor(self, event: AuditEvent) -> Party:
        if event.actor_id is not None:
            return self._person(event.actor_id, self.names.get(event.actor_id) or event.actor_label)
        return Party(_("The system") if event.actor_label == audit_service.SYSTEM else event.actor_label)

    def concerned(self, event: AuditEvent) -> tuple[Party, Party]:
        """Whom the event concerns, and what it is about."""
        number = event.target_id
        if event.target_type == "user" and number is not None:
            person = self._person(number)
            return person, person
        if event.target_type == "access_request" and number is not None:
            url = self.link("admin.request", request_id=number) if self.link else None
            request = Party(_("access request #%(id)s") % {"id": number}, url)
            if number not in self.applicants:
                return request, request
            return self._person(*self.applicants[number]), request
        name = kind_name(event.target_type)
        thing = Party(f"{name} #{number}" if number is not None else name)
        return thing, thing


def tell(
    db: Session, settings: Settings, events: Sequence[AuditEvent], *, link: Linker | None = None
) -> dict[int, Markup]:
    """Each event as a sentence, by its id; with `link`, people and requests link to their pages."""
    cast = _Cast(db, events, link)
    told = {}
    for event in events:
        person, target = cast.concerned(event)
        told[event.id] = describe(Told(event, cast.actor(event), person, target, settings))
    return told
