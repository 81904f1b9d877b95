"""The staff dashboard: what needs attention, for the areas the viewer's role works in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.access import stats as access_stats
from app.accounts.dependencies import Staff
from app.articles import service as articles_service
from app.contact import service as contact_service
from app.core.db import Db, utcnow
from app.core.policy import Capability, can
from app.core.web import render
from app.mail import service as mail_service

router = APIRouter(prefix="/admin")


@router.get("", name="admin.dashboard", response_class=HTMLResponse)
def dashboard(request: Request, db: Db, user: Staff) -> Response:
    """Show what needs attention: requests, scheduled articles, messages, undelivered mail."""
    now = utcnow()
    context: dict[str, object] = {"now": now}
    # Each panel is shown to the roles that may open the page it leads to.
    if can(user.role, Capability.REVIEW_REQUESTS):
        context["stats"] = access_stats.review_stats(db, now=now)
    if can(user.role, Capability.EDIT_CONTENT):
        context["scheduled"] = articles_service.scheduled(db)
        context["drafts"] = articles_service.count_drafts(db)
    if can(user.role, Capability.ANSWER_MESSAGES):
        context["messages"] = contact_service.waiting(db)
    if can(user.role, Capability.READ_OUTBOX):
        context["mail_trouble"] = mail_service.delivery_trouble(db)
    return render(request, "admin/dashboard.html", context)
