"""Who is reading: the viewer class the access rule needs, from the person's access request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.access import identity, lifecycle
from app.accounts.dependencies import CurrentUser
from app.core.db import Db
from app.core.policy import VISITOR, Viewer


def current_viewer(request: Request, db: Db, user: CurrentUser) -> Viewer:
    """The viewer class the access rule needs: visitor, applicant, professional or staff."""
    if "viewer" in request.state._state:
        return request.state.viewer  # type: ignore[no-any-return]
    if user is None:
        viewer = VISITOR
    elif user.is_staff:
        viewer = Viewer(is_staff=True, logged_in=True)
    else:
        # Read with the session in one statement (identity.identify), never asked again here.
        found: identity.Identity = request.state.identity
        latest = found.latest_request
        state = lifecycle.state_now(latest) if latest else None
        # Only approved access within its period gives a profession: the one that was reviewed.
        profession = latest.profession if latest and lifecycle.has_access(latest) else None
        # The terms are what access is given under: until the current ones are accepted, no
        # surface (page, API, media, search, hub) shows gated content. Staff are never asked
        # (consent.needs_consent): they read gated content as their work for the society.
        terms = profession is not None and not found.accepted_terms
        viewer = Viewer(
            profession=None if terms else profession,
            logged_in=True,
            request_state=state,
            needs_consent=terms,
        )
    request.state.viewer = viewer
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
