"""What every audit sentence is made of: the parties it names, the table from a kind of event to
its sentence, and the sentence for a kind that has none of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.i18n import gettext as _


@dataclass(frozen=True)
class Party:
    """Someone or something a sentence names; with an address, named as a link to its page."""

    name: str
    url: str | None = None

    def __html__(self) -> str:
        if self.url is None:
            return str(escape(self.name))
        return str(Markup('<a href="{}">{}</a>').format(self.url, self.name))


@dataclass(frozen=True)
class Told:
    """One event and the parties a sentence about it names."""

    event: AuditEvent
    actor: Party
    person: Party  # whom it concerns: an account, or a request's applicant; else what it is about
    target: Party  # what it is about: a person, "access request #12", "article #3"
    settings: Settings


Sentence = Callable[[Told], Markup]
SENTENCES: dict[str, Sentence] = {}


def says(*actions: str) -> Callable[[Sentence], Sentence]:
    """Make the decorated function the sentence of these kinds of event."""

    def register(sentence: Sentence) -> Sentence:
        SENTENCES.update(dict.fromkeys(actions, sentence))
        return sentence

    return register


def say(message: str, told: Told, **values: object) -> Markup:
    """A translated sentence with its names filled in, escaped or as links."""
    named = {"actor": told.actor, "person": told.person, "target": told.target, **values}
    return escape(message) % named


def quoting(sentence: Markup, text: str) -> Markup:
    """The sentence followed by what someone wrote, when they wrote something."""
    if not text.strip():
        return sentence
    return escape(_("%(sentence)s: “%(text)s”")) % {"sentence": sentence, "text": text.strip()}


def generic(told: Told) -> Markup:
    """Any other kind of event: who, what (its recorded name made readable), about what, and why."""
    event = told.event
    action = event.action.replace(".", " ").replace("_", " ")
    sentence = say(_("%(actor)s: %(action)s, %(target)s"), told, action=action)
    if event.before_state or event.after_state:
        change = {"before": event.before_state or "—", "after": event.after_state or "—"}
        sentence = escape(_("%(sentence)s (from %(before)s to %(after)s)")) % {"sentence": sentence, **change}
    return quoting(sentence, event.reason)
