"""Staff pages for an article's revisions: the list, a comparison of two, restoring one."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.dependencies import Editor
from app.admin.articles import NO_ARTICLE
from app.articles.models import Article, ArticleRevision
from app.core.db import Db
from app.core.forms import Form
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
from app.core.text import row_number
from app.core.web import flash, get_or_404, page_number, render
from app.publishing import editing, revisions

router = APIRouter(prefix="/admin")


@router.get("/articles/{article_id}/revisions", name="admin.article_revisions", response_class=HTMLResponse)
def index(request: Request, db: Db, user: Editor, article_id: int, page: str | None = None) -> Response:
    """List the article's saved versions, newest first, with who saved each and when."""
    article = get_or_404(db, Article, article_id, NO_ARTICLE)
    size = max(request.app.state.settings.page_size, 20)
    items = revisions.page_of(db, article, number=page_number(page), size=size)
    return render(request, "admin/articles/revisions.html", {"article": article, "page": items})


def _revision(db: Db, article: Article, number: str | None) -> ArticleRevision | None:
    found = row_number(number or "")
    return revisions.find(db, article, found) if found is not None else None


@router.get(
    "/articles/{article_id}/revisions/compare", name="admin.article_compare", response_class=HTMLResponse
)
def compare(
    request: Request, db: Db, user: Editor, article_id: int, old: str | None = None, new: str | None = None
) -> Response:
    """Show what changed between two revisions, field by field and the body line by line."""
    article = get_or_404(db, Article, article_id, NO_ARTICLE)
    newer = _revision(db, article, new) or editing.latest_revision(db, article)
    older = _revision(db, article, old)
    if older is None and newer is not None:
        older = revisions.find(db, article, newer.number - 1)
    if older is None or newer is None:
        raise HTTPException(404, "There are no such revisions to compare.")
    context = {
        "article": article,
        "old": older,
        "new": newer,
        "changes": revisions.diff(older, newer, zone=request.app.state.settings.zone),
    }
    return render(request, "admin/articles/compare.html", context)


@router.post(
    "/articles/{article_id}/revisions/{number}/restore",
    name="admin.article_restore",
    response_class=HTMLResponse,
)
def restore(request: Request, db: Db, user: Editor, form: Form, article_id: int, number: int) -> Response:
    """Save the revision's content again as the newest version; the status stays as it is."""
    article = get_or_404(db, Article, article_id, NO_ARTICLE)
    revision = revisions.find(db, article, number)
    if revision is None:
        raise HTTPException(404, "There is no such revision.")
    version = str(form.get("version", ""))
    try:
        address_free = revisions.restore(
            db,
            article=article,
            revision=revision,
            actor=user,
            version=row_number(version),
            ip=client_ip(request),
        )
    except editing.StaleVersion:
        db.rollback()
        flash(request, _("The article changed while you were looking; check the revisions again."), "warning")
        return RedirectResponse(
            request.app.url_path_for("admin.article_revisions", article_id=article_id), 303
        )
    db.commit()
    flash(
        request,
        _("Revision %(number)d restored as version %(version)d.")
        % {"number": number, "version": article.version},
        "success",
    )
    if not address_free:
        flash(
            request,
            _(
                "Its address /articles/%(old)s belongs to another article now, "
                "so this one stays at /articles/%(new)s."
            )
            % {"old": revision.slug, "new": article.slug},
            "warning",
        )
    return RedirectResponse(request.app.url_path_for("admin.article", article_id=article_id), 303)
