"""The staff inbox: messages sent with the contact form, read, answered and closed by any staff role."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.dependencies import MessageAnswerer
from app.audit import service as audit
from app.contact import service as contact_service
from app.contact.forms import ReplyForm, friendly
from app.contact.models import ContactMessage
from app.core.db import Db
from app.core.forms import Form, text_fields, validate
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
from app.core.web import flash, get_or_404, page_number, page_or_404, render

router = APIRouter(prefix="/admin/messages")
NO_MESSAGE = "There is no such message."
FILTERS: tuple[contact_service.Status, ...] = get_args(contact_service.Status)
# Marked for the catalog; the message page translates them.
ACTION_LABELS = {
    "contact.replied": N_("replied"),
    "contact.handled": N_("marked it handled"),
    "contact.reopened": N_("reopened it"),
}


@router.get("", name="admin.messages", response_class=HTMLResponse)
def inbox(
    request: Request, db: Db, user: MessageAnswerer, status: str = "open", page: str | None = None
) -> Response:
    """List the messages, newest first: open, handled or all."""
    chosen: contact_service.Status = next((f for f in FILTERS if f == status), "open")
    size = request.app.state.settings.page_size
    items = page_or_404(contact_service.inbox(db, status=chosen, page=page_number(page), size=size))
    return render(request, "admin/messages/index.html", {"page": items, "status": chosen, "filters": FILTERS})


def _detail(
    request: Request,
    db: Db,
    item: ContactMessage,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    context = {
        "item": item,
        "values": values,
        "errors": errors,
        "history": audit.history(db, contact_service.TARGET, item.id),
        "action_labels": ACTION_LABELS,
    }
    return render(request, "admin/messages/detail.html", context, status_code=status)


@router.get("/{message_id}", name="admin.message", response_class=HTMLResponse)
def detail(request: Request, db: Db, user: MessageAnswerer, message_id: int) -> Response:
    """Show one message, its replies and the reply form; opening it marks it read."""
    item = get_or_404(db, ContactMessage, message_id, NO_MESSAGE)
    contact_service.mark_read(db, item=item)
    db.commit()
    return _detail(request, db, item, {"handled": "on"}, {}, 200)


@router.post("/{message_id}/reply", name="admin.message_reply", response_class=HTMLResponse)
def reply(request: Request, db: Db, user: MessageAnswerer, form: Form, message_id: int) -> Response:
    """Email a reply to the sender and, unless unticked, mark the message handled."""
    item = get_or_404(db, ContactMessage, message_id, NO_MESSAGE)
    values = text_fields(form)
    parsed, errors = validate(ReplyForm, values)
    if parsed is None:
        return _detail(request, db, item, values, friendly(errors), 422)
    handled = values.get("handled") == "on"
    contact_service.reply(
        db,
        request.app.state.settings,
        item=item,
        author=user,
        body=parsed.body,
        handled=handled,
        ip=client_ip(request),
    )
    db.commit()
    flash(request, _("Your reply to %(email)s is on its way.") % {"email": item.email}, "success")
    return RedirectResponse(request.app.url_path_for("admin.message", message_id=item.id), 303)


@router.post("/{message_id}/handled", name="admin.message_handled")
def mark_handled(request: Request, db: Db, user: MessageAnswerer, form: Form, message_id: int) -> Response:
    """Mark the message handled (a colleague may have done so a moment earlier: that is fine)."""
    item = get_or_404(db, ContactMessage, message_id, NO_MESSAGE)
    changed = contact_service.mark_handled(db, item=item, actor=user, ip=client_ip(request))
    db.commit()
    flash(
        request, _("Marked handled.") if changed else _("This message was already marked handled."), "success"
    )
    return RedirectResponse(request.app.url_path_for("admin.messages"), 303)


@router.post("/{message_id}/reopen", name="admin.message_reopen")
def reopen(request: Request, db: Db, user: MessageAnswerer, form: Form, message_id: int) -> Response:
    """Put the message back among the open ones."""
    item = get_or_404(db, ContactMessage, message_id, NO_MESSAGE)
    changed = contact_service.reopen(db, item=item, actor=user, ip=client_ip(request))
    db.commit()
    flash(request, _("Reopened.") if changed else _("This message was already open."), "success")
    return RedirectResponse(request.app.url_path_for("admin.message", message_id=item.id), 303)
