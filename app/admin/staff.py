"""What only admins do to a colleague's staff account: change its role, reset its two-step login."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts import second_factor
from app.accounts import service as accounts_service
from app.accounts.dependencies import Admin
from app.accounts.models import STAFF_ROLES, Role, User
from app.core.db import Db
from app.core.forms import Form
from app.core.i18n import gettext as _
from app.core.policy import ROLE_NAMES
from app.core.proxies import client_ip
from app.core.web import flash, get_or_404

router = APIRouter(prefix="/admin")
NO_COLLEAGUE = "There is no such staff account."


def _back(request: Request, person: User) -> Response:
    """Back to the person's page, where both forms are."""
    return RedirectResponse(request.app.url_path_for("admin.user", user_id=person.id), 303)


@router.post("/users/{user_id}/role", name="admin.users_role")
def change_role(request: Request, db: Db, user: Admin, form: Form, user_id: int) -> Response:
    """Give a colleague another staff role; their sessions end so it applies at once."""
    person = get_or_404(db, User, user_id, NO_COLLEAGUE, shown=lambda person: person.is_staff)
    wanted = str(form.get("role", ""))
    if wanted not in {r.value for r in STAFF_ROLES}:
        flash(request, _("Choose a role."), "warning")
        return _back(request, person)
    try:
        changed = accounts_service.change_role(
            db, user=person, role=Role(wanted), actor=user, ip=client_ip(request)
        )
    except accounts_service.RoleChangeRefused as refused:
        flash(request, str(refused), "warning")
        return _back(request, person)
    role = _(ROLE_NAMES[Role(wanted)])
    if not changed:
        flash(
            request,
            _("%(name)s is %(role)s already; nothing changed.") % {"name": person.full_name, "role": role},
        )
        return _back(request, person)
    db.commit()
    flash(
        request,
        _("%(name)s is now %(role)s; they must log in again.") % {"name": person.full_name, "role": role},
        "success",
    )
    return _back(request, person)


@router.post("/users/{user_id}/second-factor/reset", name="admin.second_factor_reset")
def reset_second_factor(request: Request, db: Db, user: Admin, form: Form, user_id: int) -> Response:
    """Reset a colleague's two-step login (a lost phone): their sessions end, they set it up again."""
    person = get_or_404(db, User, user_id, NO_COLLEAGUE, shown=lambda person: person.is_staff)
    if person.id == user.id:
        flash(request, _("Change your own two-step login from your account page."), "warning")
        return _back(request, person)
    if second_factor.disable(db, person, actor=user, ip=client_ip(request)):
        db.commit()
        flash(
            request,
            _("Two-step login of %(name)s was reset; they set it up again.") % {"name": person.full_name},
            "success",
        )
    else:
        flash(request, _("%(name)s has no two-step login to reset.") % {"name": person.full_name}, "warning")
    return _back(request, person)
