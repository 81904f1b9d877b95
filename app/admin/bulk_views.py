"""Deciding several access requests at once, from the queue page.

Each request is still decided on its own by `access_service.decide`: its own compare-and-set
against the revision the reviewer saw, its own audit event and its own email. A request that
changed after the page was loaded is skipped and named, never decided on stale information.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.access import service as access_service
from app.access.models import AccessRequest, RequestState
from app.accounts.dependencies import Reviewer
from app.accounts.models import User
from app.admin import review_queue
from app.admin.review_forms import BulkDecisionForm
from app.admin.views import PRESET_REASONS
from app.core.db import Db
from app.core.forms import Form, text_fields, validate
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.core.proxies import client_ip
from app.core.web import flash, render

router = APIRouter(prefix="/admin")

OUTCOMES = {"approve": RequestState.APPROVED, "reject": RequestState.REJECTED}
# The form parser takes at most 60 fields (app/core/forms.py); the queue page promises 50.
MAX_SELECTED = 50


@dataclass
class Tally:
    decided: int = 0
    skipped: list[str] = field(default_factory=list)
    # Requests whose checks failed: an approval of one is a decision to take on its own page.
    unconfirmed: list[str] = field(default_factory=list)


def _selection(form: FormData) -> dict[int, int]:
    """The ticked requests as {id: revision seen}; each box's value is "<id>:<revision>"."""
    chosen: dict[int, int] = {}
    for value in form.getlist("selected"):
        # ASCII digits, and few enough of them for the database's integers.
        if found := re.fullmatch(r"(\d{1,9}):(\d{1,9})", str(value), re.ASCII):
            chosen.setdefault(int(found[1]), int(found[2]))
    return chosen


def _reason(own: str, values: dict[str, str]) -> str:
    """The reviewer's own words, else the usual reason they picked, else nothing."""
    presets = {str(number): _(text) for number, text in enumerate(PRESET_REASONS)}
    return own or presets.get(values.get("preset", ""), "")


def _errors(chosen: dict[int, int], decision: str, reason: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not chosen:
        errors["selected"] = _("Select at least one request.")
    elif len(chosen) > MAX_SELECTED:
        errors["selected"] = _("Select at most %(max)d requests at a time.") % {"max": MAX_SELECTED}
    if decision not in OUTCOMES:
        errors["decision"] = _("Choose whether to approve or reject the selected requests.")
    elif decision == "reject" and not reason:
        errors["reason"] = _("A rejection needs a reason: pick a usual one or write your own.")
    return errors


def _decide_each(
    request: Request, db: Db, reviewer: User, chosen: dict[int, int], outcome: RequestState, reason: str
) -> Tally:
    """Decide each request against the revision the reviewer saw; in id order, so locks never cross."""
    tally = Tally()
    for request_id, revision in sorted(chosen.items()):
        item = db.get(AccessRequest, request_id)
        if item is None:
            tally.skipped.append(_("request #%(id)d") % {"id": request_id})
            continue
        try:
            access_service.decide(
                db,
                request.app.state.settings,
                item,
                reviewer=reviewer,
                outcome=outcome,
                revision=revision,
                reason=reason if outcome == RequestState.REJECTED else "",
                ip=client_ip(request),
            )
        except access_service.TransitionRefused:
            tally.skipped.append(item.user.full_name)
            continue
        except access_service.ChecksNotConfirmed:
            tally.unconfirmed.append(item.user.full_name)
            continue
        tally.decided += 1
    return tally


def _summary(tally: Tally, outcome: RequestState) -> str:
    if outcome == RequestState.APPROVED:
        done = ngettext("%(num)d approved", "%(num)d approved", tally.decided) % {"num": tally.decided}
    else:
        done = ngettext("%(num)d rejected", "%(num)d rejected", tally.decided) % {"num": tally.decided}
    if not tally.skipped and not tally.unconfirmed:
        return _("%(done)s. Each applicant has been emailed.") % {"done": done}
    parts = [done]
    if tally.skipped:
        count, names = len(tally.skipped), ", ".join(tally.skipped)
        parts.append(
            ngettext(
                "%(num)d skipped because it changed meanwhile (%(names)s)",
                "%(num)d skipped because they changed meanwhile (%(names)s)",
                count,
            )
            % {"num": count, "names": names}
        )
    if tally.unconfirmed:
        count, names = len(tally.unconfirmed), ", ".join(tally.unconfirmed)
        parts.append(
            ngettext(
                "%(num)d not approved because its checks failed: "
                "open each to decide it on its own (%(names)s)",
                "%(num)d not approved because their checks failed: "
                "open each to decide it on its own (%(names)s)",
                count,
            )
            % {"num": count, "names": names}
        )
    return "; ".join(parts) + "."


def _queue_page(
    request: Request, db: Db, values: dict[str, str], errors: dict[str, str], chosen: set[str]
) -> Response:
    """The queue page again, as the reviewer filtered it, with their choices and what to fix."""
    context = review_queue.context(request, db, review_queue.QueueFilters.of(request))
    context |= {"reasons": PRESET_REASONS, "values": values, "errors": errors, "chosen": chosen}
    return render(request, "admin/requests.html", context, status_code=422)


@router.post("/requests", name="admin.requests_decide", response_class=HTMLResponse)
def decide_selected(request: Request, db: Db, user: Reviewer, form: Form) -> Response:
    """Approve or reject the ticked requests with one reason; skip any that changed meanwhile."""
    values = text_fields(form)
    chosen = _selection(form)
    decision = values.get("decision", "")
    valid, errors = validate(BulkDecisionForm, values)
    reason = _reason(valid.reason if valid else "", values)
    errors = _errors(chosen, decision, reason) | errors
    if errors:
        ticked = {str(value) for value in form.getlist("selected")}
        return _queue_page(request, db, values, errors, ticked)
    outcome = OUTCOMES[decision]
    tally = _decide_each(request, db, user, chosen, outcome, reason)
    db.commit()
    flash(request, _summary(tally, outcome), "warning" if tally.skipped or tally.unconfirmed else "success")
    back = request.app.url_path_for("admin.requests")
    filters = review_queue.QueueFilters.of(request)
    return RedirectResponse(f"{back}?{urlencode(filters.query())}", 303)
