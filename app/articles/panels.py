"""The panel that stands where a reader may not read: for whom, how much, and what they can do."""

from __future__ import annotations

from fastapi import Request

from app.articles.markdown import LockedPart
from app.core.policy import Viewer


def locked_panel(request: Request, part: LockedPart, viewer: Viewer) -> str:
    """Render the panel for this reader in place of `part` (its audience and size, never its text)."""
    template = request.app.state.templates.get_template("articles/_locked_panel.html")
    return str(template.render(part=part, audience=part.audience, viewer=viewer, request=request))
