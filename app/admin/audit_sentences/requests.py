"""Sentences for what happens to an access request and to the access it gives.

The trail stores its notes in English (access/service.py, lifecycle.py, renewal.py,
privacy/service.py); those that follow a known pattern are read back into the page's language.
"""

from __future__ import annotations

import re
from datetime import datetime

from markupsafe import Markup, escape

from app.access import checks, lifecycle
from app.admin.audit_sentences.grammar import Told, quoting, say, says
from app.core import i18n
from app.core.i18n import gettext as _
from app.core.i18n import ngettext

OVERRIDE_NOTE = "Approved despite failed checks: "
EXTENDED_NOTE = re.compile(r"Until (\d{1,2} [A-Za-z]+ \d{4})\.\s*(.*)", re.DOTALL)
RENEWAL_NOTE = re.compile(r"Renewal of request #(\d+)")
RETENTION_NOTE = re.compile(r"(\d+) days after the decision")
ERASED_NOTE = "The applicant deleted their account."
RENEWED_WITH_CHANGES = "Renewed with changed details"


@says("request.submitted")
def _submitted(told: Told) -> Markup:
    message = _("%(actor)s asked for access to the professional area; the email address is not confirmed yet")
    return say(message, told)


@says("request.renewal_submitted")
def _renewal_submitted(told: Told) -> Markup:
    old = RENEWAL_NOTE.fullmatch(told.event.reason)
    if old is None:
        message = _("%(actor)s asked to renew access with changed details; the request is waiting for review")
        return say(message, told)
    message = _(
        "%(actor)s asked to renew access with changed details (request #%(old)s); "
        "the request is waiting for review"
    )
    return say(message, told, old=old[1])


@says("request.verified")
def _verified(told: Told) -> Markup:
    return say(_("%(actor)s confirmed their email address; the request is waiting for review"), told)


@says("request.info_requested")
def _info_requested(told: Told) -> Markup:
    return quoting(say(_("%(actor)s asked %(person)s for more information"), told), told.event.reason)


@says("request.answered")
def _answered(told: Told) -> Markup:
    sentence = say(_("%(actor)s answered the question; the request is waiting for review again"), told)
    return quoting(sentence, told.event.reason)


def _overridden(reason: str) -> list[str]:
    """The checks a reviewer overrode, named in the page's language."""
    known = {label: _(label) for label in checks.FAILED_CHECKS.values()}
    labels = reason.removeprefix(OVERRIDE_NOTE).rstrip(".").split(", ")
    return [known.get(label, label) for label in labels]


@says("request.approved")
def _approved(told: Told) -> Markup:
    event = told.event
    # The access period an approval starts (lifecycle.approval_values), from the moment recorded.
    end = lifecycle.period_end(told.settings, lifecycle.aware(event.at))
    until = lifecycle.day(told.settings, end)
    if event.actor_id is None:
        message = _(
            "%(person)s's request was approved automatically, for an allow-listed email domain "
            "and a valid licence number (access until %(day)s)"
        )
        return say(message, told, day=until)
    sentence = say(_("%(actor)s approved %(person)s's request (access until %(day)s)"), told, day=until)
    if not event.reason.startswith(OVERRIDE_NOTE):
        return quoting(sentence, event.reason)
    overridden = _overridden(event.reason)
    message = ngettext(
        "%(sentence)s, overriding the failed check: %(checks)s",
        "%(sentence)s, overriding the failed checks: %(checks)s",
        len(overridden),
    )
    return escape(message) % {"sentence": sentence, "checks": ", ".join(overridden)}


@says("request.rejected")
def _rejected(told: Told) -> Markup:
    return quoting(say(_("%(actor)s did not approve %(person)s's request"), told), told.event.reason)


@says("request.withdrawn")
def _withdrawn(told: Told) -> Markup:
    if told.event.reason == ERASED_NOTE:
        return say(_("The request was closed because the applicant deleted their account"), told)
    return quoting(say(_("%(actor)s withdrew the request"), told), told.event.reason)


@says("request.document_added")
def _document_added(told: Told) -> Markup:
    return quoting(say(_("%(actor)s sent a credential document with the answer"), told), told.event.reason)


@says("request.document_downloaded")
def _document_downloaded(told: Told) -> Markup:
    return say(_("%(actor)s downloaded %(person)s's credential document"), told)


@says("request.document_deleted")
def _document_deleted(told: Told) -> Markup:
    kept = RETENTION_NOTE.fullmatch(told.event.reason)
    if kept is None:
        return say(_("%(person)s's credential document was deleted"), told)
    days = int(kept[1])
    message = ngettext(
        "%(person)s's credential document was deleted %(num)d day after the decision",
        "%(person)s's credential document was deleted %(num)d days after the decision",
        days,
    )
    return say(message, told, num=days)


@says("access.expired")
def _expired(told: Told) -> Markup:
    if told.event.reason.startswith(RENEWED_WITH_CHANGES):
        message = _("%(person)s's access ended because the renewal with changed details needs a review")
        return say(message, told)
    return say(_("%(person)s's access expired"), told)


@says("access.suspended")
def _suspended(told: Told) -> Markup:
    return quoting(say(_("%(actor)s suspended %(person)s's access"), told), told.event.reason)


@says("access.reinstated")
def _reinstated(told: Told) -> Markup:
    return quoting(say(_("%(actor)s reinstated %(person)s's access"), told), told.event.reason)


@says("access.extended")
def _extended(told: Told) -> Markup:
    note = EXTENDED_NOTE.fullmatch(told.event.reason)
    if note is None:
        return quoting(say(_("%(actor)s extended %(person)s's access"), told), told.event.reason)
    # lifecycle.extend writes the day in English, as people read it: "3 December 2027".
    try:
        until = datetime.strptime(note[1], "%d %B %Y").date()
    except ValueError:
        return quoting(say(_("%(actor)s extended %(person)s's access"), told), told.event.reason)
    day = i18n.format_date(until)
    return quoting(say(_("%(actor)s extended %(person)s's access until %(day)s"), told, day=day), note[2])


@says("access.renewed")
def _renewed(told: Told) -> Markup:
    return say(_("%(actor)s renewed access to the professional area"), told)
