"""The reviewers' forms: a decision on a request, a change to a professional's access, and a
decision on several requests at once. Their texts are emailed or audited whole, so one that is too
long is refused with a message, never cut."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, field_validator

from app.core.db import utcnow
from app.core.i18n import N_
from app.core.i18n import gettext as _

MAX_TEXT = 5000


def _at_most(message: str) -> Callable[[str], str]:
    """A length check whose message (marked with N_, translated when it is raised) names the text."""

    def check(value: str) -> str:
        if len(value) > MAX_TEXT:
            raise ValueError(_(message) % {"max": MAX_TEXT, "length": len(value)})
        return value

    return check


Reason = Annotated[
    str, AfterValidator(_at_most(N_("keep the reason to %(max)d characters (it has %(length)d)")))
]
Question = Annotated[
    str, AfterValidator(_at_most(N_("keep the question to %(max)d characters (it has %(length)d)")))
]


class _Form(BaseModel):
    """Only these fields are read from the form; anything else posted is ignored."""

    # A field left out of the post is checked too: a rejection without a reason box has no reason.
    model_config = ConfigDict(extra="ignore", validate_default=True)


def _asked(info: ValidationInfo) -> str:
    """The decision or change the form was posted for, given to `validate` as context."""
    return str((info.context or {}).get("asked", ""))


class DecisionForm(_Form):
    """Approve, reject or ask: a rejection needs a reason, a question needs its text."""

    reason: Reason = ""
    question: Question = ""

    @field_validator("reason")
    @classmethod
    def _reason_needed(cls, value: str, info: ValidationInfo) -> str:
        if _asked(info) == "reject" and not value:
            raise ValueError(_("A rejection needs a reason."))
        return value

    @field_validator("question")
    @classmethod
    def _question_needed(cls, value: str, info: ValidationInfo) -> str:
        if _asked(info) == "request-info" and not value:
            raise ValueError(_("Write the question to the applicant."))
        return value


class AccessChangeForm(_Form):
    """Suspend (with a reason, emailed), reinstate, or extend to a date ahead."""

    reason: Reason = ""
    extend_reason: Reason = ""
    until: str = ""

    @field_validator("reason")
    @classmethod
    def _reason_needed(cls, value: str, info: ValidationInfo) -> str:
        if _asked(info) == "suspend" and not value:
            raise ValueError(_("A suspension needs a reason; it is sent to the professional."))
        return value

    @field_validator("until")
    @classmethod
    def _date_ahead(cls, value: str, info: ValidationInfo) -> str:
        if _asked(info) == "extend" and future_date(value) is None:
            raise ValueError(_("Choose a date in the future, within ten years."))
        return value

    def note(self, change: str) -> str:
        """The reviewer's words for this change."""
        return self.extend_reason if change == "extend" else self.reason


class BulkDecisionForm(_Form):
    """The reviewer's own words for rejecting several requests."""

    reason: Reason = ""


def future_date(text: str) -> datetime | None:
    """The end of the day a date field names, if it lies ahead and within ten years."""
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        return None
    end = datetime(chosen.year, chosen.month, chosen.day, 23, 59, 59, tzinfo=UTC)
    return end if utcnow() < end <= utcnow() + timedelta(days=3653) else None
