"""Sentences for what happens to an account: its creation, role, logins, password, sessions."""

from __future__ import annotations

import re

from markupsafe import Markup

from app.admin.audit_sentences.grammar import Told, quoting, say, says
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.core.policy import ROLE_NAMES


def _role(value: str) -> str:
    """A role as recorded ("reviewer"), named in the page's language."""
    names = {role.value: label for role, label in ROLE_NAMES.items()}
    return _(names[value]) if value in names else value


@says("account.created")
def _created(told: Told) -> Markup:
    role = _role(told.event.after_state)
    return say(_("%(actor)s created an account for %(person)s with the role %(role)s"), told, role=role)


@says("account.role_changed")
def _role_changed(told: Told) -> Markup:
    before, after = _role(told.event.before_state), _role(told.event.after_state)
    message = _("%(actor)s changed %(person)s's role from %(before)s to %(after)s")
    return say(message, told, before=before, after=after)


@says("account.login")
def _login(told: Told) -> Markup:
    return say(_("%(actor)s logged in"), told)


@says("account.password_changed")
def _password_changed(told: Told) -> Markup:
    return say(_("%(actor)s changed their password"), told)


@says("account.password_reset")
def _password_reset(told: Told) -> Markup:
    return say(_("%(actor)s set a new password through an emailed link"), told)


@says("account.consented")
def _consented(told: Told) -> Markup:
    message = _("%(actor)s accepted the terms of use and the privacy notice (version %(version)s)")
    return say(message, told, version=told.event.after_state)


@says("account.session_ended")
def _session_ended(told: Told) -> Markup:
    return say(_("%(actor)s ended one of %(person)s's sessions"), told)


@says("account.sessions_ended")
def _sessions_ended(told: Told) -> Markup:
    # people.end_sessions records how many ended: "3 ended".
    count = re.match(r"\d+", told.event.after_state)
    if count is None:
        return say(_("%(actor)s ended %(person)s's sessions"), told)
    number = int(count[0])
    message = ngettext(
        "%(actor)s ended %(num)d session of %(person)s",
        "%(actor)s ended %(num)d sessions of %(person)s",
        number,
    )
    return say(message, told, num=number)


@says("account.second_factor_disabled")
def _second_factor_disabled(told: Told) -> Markup:
    return quoting(say(_("%(actor)s turned off their two-step login"), told), told.event.reason)


@says("account.second_factor_reset")
def _second_factor_reset(told: Told) -> Markup:
    return quoting(say(_("%(actor)s reset %(person)s's two-step login"), told), told.event.reason)


@says("account.deleted")
def _deleted(told: Told) -> Markup:
    return say(_("%(actor)s deleted their account"), told)
