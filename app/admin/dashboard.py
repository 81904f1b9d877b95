"""The staff dashboard: what needs attention, for the areas the viewer's role works in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.access import stats as access_stats
from app.accounts.dependencies import Staff
from app.accounts.models import Role
from app.articles import service as articles_service
from app.contact import service as contact_service
from app.core.db import Db, utcnow
from app.core.web import render
from app.mail import service as mail_service

router = APIRouter(prefix="/admin")
REVIEWS = {Role.REVIEWER, Role.ADMIN}
EDITS = {Role.EDITOR, Role.ADMIN}


@router.get("", name="admin.dashboard", response_class=HTMLResponse)
def dashboard(request: Request, db: Db, user: Staff) -> Response:
    """Show what needs attention: requests, scheduled articles, messages, undelivered mail."""
    now = utcnow()
    context: dict[str, object] = {"now": now, "messages": contact_service.waiting(db)}
    if user.role in REVIEWS:
        context["stats"] = access_stats.review_stats(db, now=now)
        context["mail_trouble"] = mail_service.delivery_trouble(db)
    if user.role in EDITS:
        context["scheduled"] = articles_service.scheduled(db)
        context["drafts"] = articles_service.count_drafts(db)
    return render(request, "admin/dashboard.html", context)
