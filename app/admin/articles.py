"""Staff pages for articles: the list, the editor (new and existing), saving and previewing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData

from app.accounts.dependencies import Editor
from app.accounts.models import User
from app.admin import article_editor as editor_page
from app.articles import listing, translations
from app.articles.models import Article, ArticleStatus
from app.core.db import Db
from app.core.forms import Form, form_data_up_to, text_fields
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
from app.core.web import flash, get_or_404, page_number, render
from app.publishing import editing, forms

router = APIRouter(prefix="/admin")
NO_ARTICLE = "There is no such article."
# No cap per field here: the body is refused beside its field with the text kept, for anything up to
# the request limit (BodySizeLimit), rather than lost with a bare 400 from the form parser.
EditorForm = Annotated[FormData, Depends(form_data_up_to(forms.MAX_EDITOR_FIELDS, max_part_size=None))]
DONE = {
    ArticleStatus.DRAFT: N_("Saved as a draft."),
    ArticleStatus.SCHEDULED: N_("Saved and scheduled."),
    ArticleStatus.PUBLISHED: N_("Saved and published."),
    ArticleStatus.ARCHIVED: N_("Saved and archived."),
}


@router.get("/articles", name="admin.articles", response_class=HTMLResponse)
def index(request: Request, db: Db, user: Editor) -> Response:
    """List every article, filtered, searched and sorted."""
    filters = listing.Filters.read(dict(request.query_params))
    size = request.app.state.settings.page_size
    page = listing.search(db, filters, number=page_number(request.query_params.get("page")), size=size)
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "params": filters.params(),
        "statuses": list(ArticleStatus),
        "categories": listing.categories(db),
        "authors": listing.authors(db),
        "audiences": {name: _(label) for name, label in listing.AUDIENCES.items()},
        "sorts": {name: _(label) for name, (_order, label) in listing.SORTS.items()},
    }
    return render(request, "admin/articles/index.html", context)


@router.get("/articles/new", name="admin.article_new", response_class=HTMLResponse)
def new(request: Request, db: Db, user: Editor) -> Response:
    """Show an empty editor."""
    typed = forms.EditorForm({"author_name": user.full_name, "audience": "public"}, [], [])
    return editor_page.render_editor(request, db, article=None, typed=typed)


@router.post("/articles/new", name="admin.article_create", response_class=HTMLResponse)
def create(request: Request, db: Db, user: Editor, form: EditorForm) -> Response:
    """Create an article from the editor, as a draft or with the status its button asks for."""
    return _save(request, db, user, None, forms.read(form))


@router.post("/articles/new/preview", name="admin.article_preview_new", response_class=HTMLResponse)
def preview_new(request: Request, db: Db, user: Editor, form: EditorForm) -> Response:
    """Show the typed new article as a visitor and as a professional would see it; store nothing."""
    return editor_page.render_preview(request, db, article=None, typed=forms.read(form))


@router.post("/articles/preview/pane", name="admin.article_preview_pane", response_class=HTMLResponse)
def preview_pane(request: Request, user: Editor, form: EditorForm) -> Response:
    """Show the typed article as one chosen reader would see it, as a fragment; store nothing."""
    return editor_page.render_live_pane(request, forms.read(form))


@router.get("/articles/{article_id}", name="admin.article", response_class=HTMLResponse)
def edit(request: Request, db: Db, user: Editor, article_id: int) -> Response:
    """Show the editor filled with the article as it is now."""
    article = get_or_404(db, Article, article_id, NO_ARTICLE)
    return editor_page.render_editor(
        request, db, article=article, typed=editor_page.typed_from(article, request.app.state.settings.zone)
    )


@router.post("/articles/{article_id}", name="admin.article_save", response_class=HTMLResponse)
def save(request: Request, db: Db, user: Editor, form: EditorForm, article_id: int) -> Response:
    """Save the article; a save made on an older version is refused with the other change shown."""
    return _save(request, db, user, get_or_404(db, Article, article_id, NO_ARTICLE), forms.read(form))


@router.post("/articles/{article_id}/preview", name="admin.article_preview", response_class=HTMLResponse)
def preview(request: Request, db: Db, user: Editor, form: EditorForm, article_id: int) -> Response:
    """Show the typed article as a visitor and as a professional would see it; store nothing."""
    return editor_page.render_preview(
        request, db, article=get_or_404(db, Article, article_id, NO_ARTICLE), typed=forms.read(form)
    )


@router.post(
    "/articles/{article_id}/translations", name="admin.article_translate", response_class=HTMLResponse
)
def translate(request: Request, db: Db, user: Editor, form: Form, article_id: int) -> Response:
    """Start the article's version in another language as a draft copy, and open it in the editor."""
    article = get_or_404(db, Article, article_id, NO_ARTICLE)
    language = text_fields(form).get("language", "")
    back = request.app.url_path_for("admin.article", article_id=article.id)
    if language not in request.app.state.settings.language_codes:
        flash(request, _("Choose one of the site's languages."), "error")
        return RedirectResponse(back, 303)
    try:
        draft = editing.translate(db, article, language, actor=user, ip=client_ip(request))
        db.commit()
    except (translations.TranslationRefused, IntegrityError):
        # Someone else has just started this language (or it existed when this page was built).
        db.rollback()
        flash(request, _("This article already has a version in that language."), "error")
        return RedirectResponse(back, 303)
    flash(
        request,
        _("Draft translation created from the original: translate its text, then publish it."),
        "success",
    )
    return RedirectResponse(request.app.url_path_for("admin.article", article_id=draft.id), 303)


def _action(typed: forms.EditorForm) -> editing.Action:
    value = typed.values.get("action", "")
    return editing.Action(value) if value in editing.Action.__members__.values() else editing.Action.SAVE


def _save(request: Request, db: Db, user: User, article: Article | None, typed: forms.EditorForm) -> Response:
    try:
        checked = editing.check(db, typed, article=article, zone=request.app.state.settings.zone)
        saved = editing.save(
            db,
            article=article,
            checked=checked,
            action=_action(typed),
            actor=user,
            version=typed.version,
            ip=client_ip(request),
            language=request.app.state.settings.default_language,
        )
    except editing.EditRefused as refused:
        db.rollback()
        return editor_page.render_editor(
            request, db, article=article, typed=typed, errors=refused.errors, status=422
        )
    except editing.StaleVersion:
        db.rollback()
        return editor_page.render_conflict(request, db, article=article, typed=typed)
    try:
        db.commit()
    except IntegrityError:
        # Two people took the same new address at the same moment: the check before saw neither.
        db.rollback()
        errors = {"slug": _("Another article has just taken this address; choose another.")}
        return editor_page.render_editor(request, db, article=article, typed=typed, errors=errors, status=422)
    flash(request, _(DONE[saved.status]), "success")
    return RedirectResponse(request.app.url_path_for("admin.article", article_id=saved.id), 303)
