"""Who is reading: the viewer class the access rule needs, from the person's access request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.access import identity
from app.accounts.dependencies import CurrentUser
from app.core.db import Db
from app.core.policy import Viewer


async def current_viewer(request: Request, db: Db, user: CurrentUser) -> Viewer:
    """The viewer class the access rule needs: visitor, applicant, professional or staff."""
    if "viewer" in request.state._state:
        return request.state.viewer  # type: ignore[no-any-return]
    viewer = identity.viewer_of(request.state.identity if user is not None else None)
    request.state.viewer = viewer
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
