"""People: every account for reviewers and admins, one person's page, staff accounts for admins."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from app.access import people_list
from app.access.models import STATE_NAMES, RequestState
from app.accounts import people, second_factor, sessions
from app.accounts import service as accounts_service
from app.accounts.dependencies import Admin, PeopleManager
from app.accounts.models import STAFF_ROLES, Role, User
from app.admin import audit_sentences
from app.audit import queries as audit_queries
from app.core import security_log
from app.core.db import Db
from app.core.forms import Email, Form, text_fields, validate
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.core.policy import ROLE_NAMES, Capability, Profession, can
from app.core.proxies import client_ip
from app.core.text import query_text
from app.core.web import flash, get_or_404, page_number, render

router = APIRouter(prefix="/admin")
NO_ACCOUNT = "There is no such account."
NO_REQUEST = "none"
SHOWN_EVENTS = 50
NAME_LENGTH = 200  # what the account's name column holds


def staff_role_choices() -> list[tuple[str, str]]:
    """The roles a staff account can have, named in the page's language."""
    return [(r.value, _first_upper(_(ROLE_NAMES[r]))) for r in Role if r in STAFF_ROLES]


def _first_upper(text: str) -> str:
    """The first letter in capitals, the rest as written: str.capitalize would lower German nouns."""
    return text[:1].upper() + text[1:]


class _EmailOnly(BaseModel):
    email: Email


def _filters(
    q: str, role: str, state: str, profession: str
) -> tuple[people_list.PeopleFilters, dict[str, str]]:
    """Read the list's query; a value that is not one of the choices means "any"."""
    chosen_role = Role(role) if role in Role.__members__.values() else None
    chosen_state = RequestState(state) if state in RequestState.__members__.values() else None
    chosen_profession = Profession(profession) if profession in Profession.__members__.values() else None
    filters = people_list.PeopleFilters(
        text=query_text(q),
        role=chosen_role,
        state=chosen_state,
        no_request=state == NO_REQUEST,
        profession=chosen_profession,
    )
    shown = {
        "q": filters.text,
        "role": role if chosen_role else "",
        "state": state if chosen_state or state == NO_REQUEST else "",
        "profession": profession if chosen_profession else "",
    }
    return filters, shown


@router.get("/users", name="admin.users", response_class=HTMLResponse)
def users(
    request: Request,
    db: Db,
    user: PeopleManager,
    q: str = "",
    role: str = "",
    state: str = "",
    profession: str = "",
    page: str = "",
) -> Response:
    """List every account, members and staff, found by name or email and filtered."""
    return _users_page(request, db, user, query=(q, role, state, profession), page=page_number(page))


def _users_page(
    request: Request,
    db: Db,
    user: User,
    *,
    query: tuple[str, str, str, str] = ("", "", "", ""),
    page: int = 1,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    filters, shown = _filters(*query)
    context = {
        "people": people_list.search(db, filters=filters, page=page),
        "filters": shown,
        "query": {name: value for name, value in shown.items() if value},
        "role_choices": [(r.value, _first_upper(_(ROLE_NAMES[r]))) for r in Role],
        "state_choices": [(s.value, _first_upper(_(STATE_NAMES[s]))) for s in RequestState],
        "values": values or {},
        "errors": errors or {},
        "roles": staff_role_choices(),
        "may_add_staff": can(user.role, Capability.MANAGE_STAFF),
    }
    return render(request, "admin/users.html", context, status_code=status)


@router.post("/users", name="admin.users_create", response_class=HTMLResponse)
def create_user(request: Request, db: Db, user: Admin, form: Form) -> Response:
    """Create a reviewer, editor or admin; they set their password from an emailed link."""
    values = text_fields(form)
    errors: dict[str, str] = {}
    email_ok, email_errors = validate(_EmailOnly, {"email": values.get("email", "")})
    errors.update(email_errors)
    if not values.get("full_name"):
        errors["full_name"] = _("Enter the person's name")
    elif len(values["full_name"]) > NAME_LENGTH:
        errors["full_name"] = _("Use at most %(max)d characters for the name") % {"max": NAME_LENGTH}
    if values.get("role") not in {r.value for r in STAFF_ROLES}:
        errors["role"] = _("Choose a role")
    if not errors and email_ok:
        try:
            accounts_service.create_staff(
                db,
                request.app.state.settings,
                email=email_ok.email,
                full_name=values["full_name"],
                role=Role(values["role"]),
                actor=user,
                ip=client_ip(request),
            )
        except accounts_service.AccountExists:
            errors["email"] = _("An account with this email address exists already")
    if errors:
        return _users_page(request, db, user, values=values, errors=errors, status=422)
    db.commit()
    done = _("%(name)s can now set a password from the email we sent.") % {"name": values["full_name"]}
    flash(request, done, "success")
    return RedirectResponse(request.app.url_path_for("admin.users"), 303)


def current_token(request: Request) -> str | None:
    """The session cookie of the staff member making this request."""
    return request.cookies.get(sessions.cookie_name(request.app.state.settings))


@router.get("/users/{user_id}", name="admin.user", response_class=HTMLResponse)
def user_detail(request: Request, db: Db, user: PeopleManager, user_id: int) -> Response:
    """Show one person: profile, requests, decisions, sessions, audit trail and allowed actions."""
    person = get_or_404(db, User, user_id, NO_ACCOUNT)
    requests = people_list.requests_of(db, person.id)
    trail = audit_queries.concerning(db, person.id, [item.id for item in requests], limit=SHOWN_EVENTS)
    decisions = audit_queries.by_actor(db, person.id, limit=SHOWN_EVENTS) if person.is_staff else []
    settings = request.app.state.settings
    context = {
        "account": person,
        "requests": requests,
        "latest": requests[0] if requests else None,
        "second_factor_on": person.is_staff and second_factor.is_enabled(db, person),
        "sessions": people.live_sessions(db, settings, person.id),
        "current_session": people.session_id_of(db, current_token(request)),
        "may_end_sessions": people.may_end_sessions(user, person),
        "decisions": decisions,
        "trail": trail,
        "sentences": audit_sentences.tell(db, settings, [*trail, *decisions], link=request.app.url_path_for),
        "shown_events": SHOWN_EVENTS,
        "may_manage_staff": can(user.role, Capability.MANAGE_STAFF),
        "may_read_audit": can(user.role, Capability.READ_AUDIT),
        "roles": staff_role_choices(),
    }
    return render(request, "admin/user.html", context)


def _back(request: Request, person: User) -> Response:
    return RedirectResponse(request.app.url_path_for("admin.user", user_id=person.id), 303)


def _sessions_of(request: Request, db: Db, user: User, user_id: int) -> User:
    """The person whose sessions this staff member may end, or a 403 (reviewers and colleagues)."""
    person = get_or_404(db, User, user_id, NO_ACCOUNT)
    if not people.may_end_sessions(user, person):
        security_log.event("access.denied", user_id=user.id, path=request.url.path, required="admin")
        raise HTTPException(403, "Only admins end the sessions of staff accounts.")
    return person


@router.post("/users/{user_id}/sessions/{session_id}/end", name="admin.session_end")
def end_session(
    request: Request, db: Db, user: PeopleManager, form: Form, user_id: int, session_id: int
) -> Response:
    """Log a person out of one browser or device; recorded in the audit log."""
    person = _sessions_of(request, db, user, user_id)
    try:
        ended = people.end_session(
            db,
            person=person,
            session_id=session_id,
            actor=user,
            current_token=current_token(request),
            ip=client_ip(request),
        )
    except people.SessionEndRefused as refused:
        flash(request, str(refused), "warning")
        return _back(request, person)
    if ended:
        db.commit()
        done = _("That session of %(name)s has ended; they must log in again there.") % {
            "name": person.full_name
        }
        flash(request, done, "success")
    else:
        flash(request, _("That session had already ended."), "warning")
    return _back(request, person)


@router.post("/users/{user_id}/sessions/end", name="admin.sessions_end")
def end_sessions(request: Request, db: Db, user: PeopleManager, form: Form, user_id: int) -> Response:
    """Log a person out everywhere (your own current session stays open); recorded in the audit log."""
    person = _sessions_of(request, db, user, user_id)
    count = people.end_all_sessions(
        db,
        request.app.state.settings,
        person=person,
        actor=user,
        current_token=current_token(request),
        ip=client_ip(request),
    )
    db.commit()
    own = person.id == user.id
    keeps = " " + _("This session of yours stays open; log out to end it.") if own else ""
    if count:
        ended = ngettext("%(num)d session of %(name)s ended.", "%(num)d sessions of %(name)s ended.", count)
        flash(request, ended % {"num": count, "name": person.full_name} + keeps, "success")
    else:
        none = _("%(name)s had no other open session.") if own else _("%(name)s had no open session.")
        flash(request, none % {"name": person.full_name} + keeps, "warning")
    return _back(request, person)
