"""Serving media files through the same access rule as the text around them."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from app.access.dependencies import CurrentViewer
from app.core.db import Db
from app.core.policy import VISITOR
from app.media import service

router = APIRouter()


@router.get("/media/{media_id}/{filename}", name="media.file")
def media_file(media_id: int, filename: str, db: Db, viewer: CurrentViewer) -> Response:
    """Serve a file to a viewer who may see it where it is used; anyone else gets 404."""
    media = service.servable(db, media_id, filename, viewer)
    if media is None or not Path(media.path).is_file():
        raise HTTPException(404, "There is no such file.")
    response = FileResponse(media.path, media_type=media.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own must not run scripts or load anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    gated = service.servable(db, media_id, filename, VISITOR) is None
    # Public files may be kept by shared caches but are checked again on every use (a 304 from
    # the file's ETag): once an article is unpublished or gated, its images stop at once.
    response.headers["Cache-Control"] = "private, no-store" if gated else "public, no-cache"
    return response
