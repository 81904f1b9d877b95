"""The audit log for admins: every recorded event, filtered, a page at a time or as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import people
from app.accounts.dependencies import AuditReader
from app.admin import audit_sentences
from app.audit import queries as audit_queries
from app.audit.models import AuditEvent
from app.audit.queries import AuditFilters
from app.core.db import Db, utcnow
from app.core.i18n import gettext as _
from app.core.text import query_text, row_number
from app.core.web import page_number, render

router = APIRouter(prefix="/admin")
EXPORT_LIMIT = 20_000
FIELDS = ("actor", "action", "target_type", "target_id", "from", "to")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ["id", "at_utc", "actor_id", "actor", "action", "target_type", "target_id", "target_name"]
CSV_HEADER += ["from_state", "to_state", "reason", "ip"]


def _date(text: str, errors: dict[str, str], field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD, for example 2026-11-28")
        return None


def read_filters(query: dict[str, str]) -> tuple[AuditFilters, dict[str, str], dict[str, str]]:
    """Read the filters from the query string: the filters, what to show in the form, and errors."""
    values = {name: query_text(query.get(name, "")) for name in FIELDS}
    errors: dict[str, str] = {}
    target_id = None
    if values["target_id"]:
        target_id = row_number(values["target_id"])
        if target_id is None:
            errors["target_id"] = _("Enter the target's number, such as 42")
    start = _date(values["from"], errors, "from")
    end = _date(values["to"], errors, "to")
    if start and end and start > end:
        errors["to"] = _("The end date is before the start date")
    filters = AuditFilters(
        actor=values["actor"],
        actor_accounts=people.named(values["actor"]),
        action=values["action"],
        target_type=values["target_type"],
        target_id=target_id,
        start=start,
        end=end,
    )
    return filters, values, errors


@router.get("/audit", name="admin.audit", response_class=HTMLResponse)
def audit_log(request: Request, db: Db, user: AuditReader, page: str = "", format: str = "") -> Response:  # noqa: A002
    """Show the audit events, newest first, by actor, action, target and dates (or as CSV)."""
    if format == "csv":
        return audit_csv(request, db, user)
    filters, values, errors = read_filters(dict(request.query_params))
    events = None if errors else audit_queries.search(db, filters=filters, page=page_number(page))
    shown = events.items if events else []
    settings = request.app.state.settings
    context = {
        "events": events,
        "values": values,
        "errors": errors,
        "query": {name: value for name, value in values.items() if value},
        "actions": audit_queries.actions(db),
        "target_types": audit_queries.target_types(db),
        "target_names": people.names(db, audit_queries.user_targets(shown)),
        "sentences": audit_sentences.tell(db, settings, shown, link=request.app.url_path_for),
        "target_kind": audit_sentences.kind_name,
        "export_limit": EXPORT_LIMIT,
    }
    return render(request, "admin/audit.html", context, status_code=422 if errors else 200)


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _rows(events: Iterable[AuditEvent], names: dict[int, str]) -> Iterable[list[str]]:
    for event in events:
        name = names.get(event.target_id, "") if event.target_type == "user" and event.target_id else ""
        row = [event.id, event.at.strftime("%Y-%m-%dT%H:%M:%SZ"), event.actor_id, event.actor_label]
        row += [event.action, event.target_type, event.target_id, name]
        row += [event.before_state, event.after_state, event.reason, event.ip]
        yield [safe_cell(cell) for cell in row]


@router.get("/audit.csv", name="admin.audit_csv")
def audit_csv(request: Request, db: Db, user: AuditReader) -> Response:
    """Download the filtered events as CSV, newest first, at most EXPORT_LIMIT of them."""
    filters, _values, errors = read_filters(dict(request.query_params))
    if errors:
        return audit_log(request, db, user)
    events = audit_queries.export(db, filters=filters, limit=EXPORT_LIMIT)
    names = people.names(db, audit_queries.user_targets(events))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(_rows(events, names))
    filename = f"audit-{utcnow():%Y%m%d-%H%M}.csv"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if len(events) == EXPORT_LIMIT:
        headers["X-Export-Limit"] = str(EXPORT_LIMIT)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
