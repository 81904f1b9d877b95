"""Staff pages of the media library: browse, upload, describe, preview and delete files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData, UploadFile

from app.accounts.dependencies import Editor
from app.core import i18n, malware
from app.core.db import Db
from app.core.forms import Form, form_data, text_fields, validate
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
from app.core.text import query_text
from app.core.web import flash, get_or_404, page_number, render
from app.media import library, service, uploads
from app.media.models import MediaFile

router = APIRouter(prefix="/admin/media")
NO_FILE = "There is no such file."
PAGE_SIZE_FACTOR = 3  # a grid of thumbnails holds more than a list of articles


class Description(BaseModel):
    alt: str = Field(default="", max_length=500)
    caption: str = Field(default="", max_length=1000)


async def upload_form(request: Request) -> FormData | None:
    """The posted upload form, or None when the body was too large to read."""
    try:
        return await form_data(request)
    except HTTPException as error:
        if error.status_code == 413:
            return None
        raise


@router.get("", name="admin.media", response_class=HTMLResponse)
def media_library(
    request: Request, db: Db, user: Editor, kind: str = "", q: str = "", page: int | str | None = None
) -> Response:
    """List the files in the library, newest first, by kind and search words."""
    kind = kind if kind in library.KINDS else ""
    query = query_text(q)
    size = request.app.state.settings.page_size * PAGE_SIZE_FACTOR
    files = library.library(db, kind=kind, query=query, page=page_number(page), size=size)
    context = {"files": files, "kind": kind, "q": query, "kinds": library.KINDS}
    return render(request, "admin/media/library.html", context)


def _upload_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200,
    duplicate: MediaFile | None = None,
) -> Response:  # fmt: skip
    context = {
        "values": values,
        "errors": errors,
        "duplicate": duplicate,
        "max_size": _size_label(request.app.state.settings.upload_max_bytes),
    }
    return render(request, "admin/media/upload.html", context, status_code=status)


def _size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(size)s MB") % {"size": i18n.format_number(float(f"{size / (1024 * 1024):.3g}"))}
    return _("%(size)s KB") % {"size": i18n.format_number(size // 1024)}


@router.get("/upload", name="admin.media_upload", response_class=HTMLResponse)
def upload_page(request: Request, user: Editor) -> Response:
    """Show the upload form."""
    return _upload_page(request, {}, {})


@router.post("/upload", name="admin.media_upload_post", response_class=HTMLResponse)
def upload(
    request: Request, db: Db, user: Editor, form: Annotated[FormData | None, Depends(upload_form)]
) -> Response:
    """Check the file by its content and keep it with its description; or say what is wrong."""
    settings = request.app.state.settings
    too_large = _("The file is larger than %(size)s. Choose a smaller one.") % {
        "size": _size_label(settings.upload_max_bytes)
    }
    if form is None:
        return _upload_page(request, {}, {"file": too_large}, 413)
    values = text_fields(form)
    parsed, errors = validate(Description, values)
    data, name = _chosen_file(form, settings.upload_max_bytes)
    if len(data) > settings.upload_max_bytes:
        return _upload_page(request, values, {**errors, "file": too_large}, 413)
    if not data:
        errors["file"] = _("Choose a file to upload.")
    if errors or parsed is None:
        return _upload_page(request, values, errors, 422)
    try:
        media, removed = library.upload(
            db, data=data, name=name, alt=parsed.alt, caption=parsed.caption,
            directory=settings.media_dir, scanner=settings.malware_scanner, actor=user, ip=client_ip(request),
        )  # fmt: skip
    except (library.DuplicateFile, library.AltRequired, uploads.UploadRefused, malware.Refused) as refused:
        return _refused(request, values, refused)
    db.commit()
    flash(request, _("%(name)s is in the library.") % {"name": media.filename})
    if removed:
        flash(
            request,
            _("Removed from the SVG because it could run code or load other files: %(parts)s.")
            % {"parts": ", ".join(removed)},
        )
    return RedirectResponse(request.app.url_path_for("admin.media_file", media_id=media.id), 303)


def _chosen_file(form: FormData, limit: int) -> tuple[bytes, str]:
    """The uploaded bytes (one past `limit` at most, to tell when it is over) and the file's name."""
    chosen = form.get("file")
    if not isinstance(chosen, UploadFile):
        return b"", ""
    return chosen.file.read(limit + 1), chosen.filename or "file"


def _refused(request: Request, values: dict[str, str], refused: Exception) -> Response:
    if isinstance(refused, library.DuplicateFile):
        error = {
            "file": _("The library already holds this file, as %(name)s.")
            % {"name": refused.existing.filename}
        }
        return _upload_page(request, values, error, 422, duplicate=refused.existing)
    if isinstance(refused, library.AltRequired):
        error = {"alt": _("Describe the image for readers who cannot see it (required for images).")}
        return _upload_page(request, values, error, 422)
    if isinstance(refused, malware.Refused):
        return _upload_page(request, values, {"file": refused.message}, refused.status)
    return _upload_page(request, values, {"file": str(refused)}, 422)


def _file_page(
    request: Request, db: Db, media: MediaFile, errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    context = {
        "media": media,
        "url": service.url_of(media),
        "markdown": service.markdown_for(media),
        "articles": library.articles_using(db, media),
        "errors": errors or {},
        "values": values if values is not None else {"alt": media.alt, "caption": media.caption},
    }
    return render(request, "admin/media/file.html", context, status_code=status)


@router.get("/{media_id}", name="admin.media_file", response_class=HTMLResponse)
def media_file(request: Request, db: Db, user: Editor, media_id: int) -> Response:
    """Show a file: preview, description, the Markdown to insert and the articles that use it."""
    return _file_page(request, db, get_or_404(db, MediaFile, media_id, NO_FILE))


@router.post("/{media_id}", name="admin.media_edit", response_class=HTMLResponse)
def edit(request: Request, db: Db, user: Editor, media_id: int, form: Form) -> Response:
    """Change a file's text alternative and caption."""
    media = get_or_404(db, MediaFile, media_id, NO_FILE)
    values = text_fields(form)
    parsed, errors = validate(Description, values)
    if parsed is None:
        return _file_page(request, db, media, errors, values, 422)
    try:
        library.edit(db, media, alt=parsed.alt, caption=parsed.caption, actor=user, ip=client_ip(request))
    except library.AltRequired:
        error = {"alt": _("An image needs its text alternative: describe what it shows.")}
        return _file_page(request, db, media, error, values, 422)
    db.commit()
    flash(request, _("The description of %(name)s is saved.") % {"name": media.filename})
    return RedirectResponse(request.app.url_path_for("admin.media_file", media_id=media.id), 303)


@router.get("/{media_id}/thumbnail", name="admin.media_thumbnail")
def thumbnail(db: Db, user: Editor, media_id: int) -> Response:
    """Serve a file's thumbnail to staff; an SVG, or an image stored before thumbnails, serves itself."""
    media = get_or_404(db, MediaFile, media_id, NO_FILE)
    if media.thumbnail_path and Path(media.thumbnail_path).is_file():
        path, kind = (
            media.thumbnail_path,
            "image/png" if media.thumbnail_path.endswith(".png") else "image/jpeg",
        )
    elif media.is_image and Path(media.path).is_file():
        path, kind = media.path, media.content_type
    else:
        raise HTTPException(404, "This file has no thumbnail.")
    response = FileResponse(path, media_type=kind)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


def _delete_page(request: Request, db: Db, media: MediaFile, *, changed: bool = False) -> Response:
    articles = library.articles_using(db, media)
    context = {
        "media": media,
        "articles": articles,
        "seen": ",".join(str(article.id) for article in articles),
        "changed": changed,
    }
    return render(request, "admin/media/delete.html", context, status_code=409 if changed else 200)


@router.get("/{media_id}/delete", name="admin.media_delete", response_class=HTMLResponse)
def delete_page(request: Request, db: Db, user: Editor, media_id: int) -> Response:
    """Ask before deleting, naming every article that would lose the file."""
    return _delete_page(request, db, get_or_404(db, MediaFile, media_id, NO_FILE))


@router.post("/{media_id}/delete", name="admin.media_delete_post", response_class=HTMLResponse)
def delete(request: Request, db: Db, user: Editor, media_id: int, form: Form) -> Response:
    """Delete the file, its thumbnail and its record, once the articles using it were confirmed."""
    media = get_or_404(db, MediaFile, media_id, NO_FILE)
    seen = ",".join(str(article.id) for article in library.articles_using(db, media))
    # The confirmation must name exactly the articles that use the file now, not those of an
    # older page (or none at all, as from a form posted without its confirmation).
    if text_fields(form).get("confirm") != "delete" or text_fields(form).get("used_by", "") != seen:
        return _delete_page(request, db, media, changed=True)
    filename = media.filename
    paths = library.delete(db, media, actor=user, ip=client_ip(request))
    db.commit()
    library.remove_files(paths)
    flash(request, f"{filename} is deleted.")
    return RedirectResponse(request.app.url_path_for("admin.media"), 303)
