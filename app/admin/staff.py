"""Changing a staff member's role (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from app.accounts import service as accounts_service
from app.accounts.dependencies import Admin, Db
from app.accounts.models import STAFF_ROLES, Role, User
from app.accounts.sessions import client_ip
from app.core.forms import form_data
from app.core.web import flash

router = APIRouter(prefix="/admin")
Form = Annotated[FormData, Depends(form_data)]


@router.post("/users/{user_id}/role", name="admin.users_role")
def change_role(request: Request, db: Db, user: Admin, form: Form, user_id: int) -> Response:
    """Give a colleague another staff role; their sessions end so it applies at once."""
    person = db.get(User, user_id)
    if person is None or not person.is_staff:
        raise HTTPException(404, "There is no such staff account.")
    wanted = str(form.get("role", ""))
    if wanted not in {r.value for r in STAFF_ROLES}:
        flash(request, "Choose a role.", "warning")
        return RedirectResponse(request.app.url_path_for("admin.users"), 303)
    try:
        accounts_service.change_role(db, user=person, role=Role(wanted), actor=user, ip=client_ip(request))
    except accounts_service.RoleChangeRefused as refused:
        flash(request, str(refused), "warning")
        return RedirectResponse(request.app.url_path_for("admin.users"), 303)
    db.commit()
    flash(request, f"{person.full_name} is now {wanted}; they must log in again.", "success")
    return RedirectResponse(request.app.url_path_for("admin.users"), 303)
