"""The editor page: its form filled from an article or from what was typed, previews, conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.articles import listing, panels, translations, visibility
from app.articles.markdown import LockedPart, RenderedBody
from app.articles.models import Article
from app.articles.translations import ALIGNED
from app.core import i18n
from app.core.i18n import gettext as _
from app.core.policy import PROFESSION_LABELS, VISITOR, Profession, Viewer
from app.core.web import render
from app.media import library as media_library
from app.media import service as media_service
from app.publishing import editing, forms, revisions

TEMPLATE = "admin/articles/editor.html"


@dataclass(frozen=True)
class Pane:
    """What one kind of reader sees of the previewed article."""

    heading: str
    body: RenderedBody | None
    locked: Markup | None


def typed_from(article: Article, zone: tzinfo) -> forms.EditorForm:
    """The editor form as it shows the stored article, its publish time in the society's `zone`."""
    choice, professions = forms.audience_fields(article.audience)
    match = media_service.MEDIA_PATH.match(article.hero_image or "")
    values = {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary,
        "body": article.body,
        "category": str(article.category_id or ""),
        "tags": ", ".join(t.name for t in article.tags),
        "audience": choice,
        "author_name": article.author_name,
        "hero_image": match.group(1) if match else (editing.KEEP_HERO if article.hero_image else ""),
        "hero_alt": article.hero_alt,
        "published_at": forms.format_time(article.published_at, zone),
        "version": str(article.version),
    }
    rows = [
        {name: "" if getattr(r, name) is None else str(getattr(r, name)) for name in forms.REFERENCE_FIELDS}
        for r in article.references
    ]
    return forms.EditorForm(values, professions, rows)


def render_editor(
    request: Request,
    db: Session,
    *,
    article: Article | None,
    typed: forms.EditorForm,
    errors: dict[str, str] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    """Render the editor with the typed values, errors beside their fields."""
    media = media_library.recent_media(db)
    context = {
        "article": article,
        "values": typed.values,
        "professions": typed.professions,
        "rows": typed.reference_rows(),
        "errors": errors or {},
        "categories": [(str(c.id), c.name) for c in listing.categories(db)],
        "images": _image_choices(db, article),
        "media": [(m, media_service.markdown_for(m)) for m in media],
        "audience_choices": [(value, _(label)) for value, label in forms.AUDIENCE_CHOICES],
        "profession_choices": [(p.value, _(PROFESSION_LABELS[p])) for p in Profession],
        "reference_fields": forms.REFERENCE_FIELDS,
        "reference_labels": {name: _(label) for name, label in forms.REFERENCE_LABELS.items()},
        "preview": None,
        "preview_readers": preview_readers(),
        "conflict": None,
        **(_translation_context(request, db, article) if article is not None else {}),
        **(extra or {}),
    }
    return render(request, TEMPLATE, context, status_code=status)


@dataclass(frozen=True)
class LanguageVersion:
    """One of the site's languages beside the article: its version there, if there is one."""

    code: str
    name: str
    version: Article | None


def _translation_context(request: Request, db: Session, article: Article) -> dict[str, Any]:
    """Which languages the article exists in, and where its versions differ from the original."""
    versions = translations.versions(db, article)
    by_language = {v.language: v for v in versions}
    codes = [*request.app.state.settings.language_codes]
    codes += sorted(code for code in by_language if code not in codes)
    languages = [
        LanguageVersion(code, translations.language_name(code), by_language.get(code)) for code in codes
    ]
    original = translations.original_of(db, article)
    if original is not None:
        pairs = [(original, article)]
    else:
        pairs = [(article, v) for v in versions if v.id != article.id]
    differing = [
        (
            translation,
            translations.language_name(translation.language),
            ", ".join(_(ALIGNED[key]) for key in found),
        )
        for base, translation in pairs
        if (found := translations.differences(base, translation))
    ]
    return {"languages": languages, "original": original, "differing": differing}


def _image_choices(db: Session, article: Article | None) -> list[tuple[str, str]]:
    choices = [(str(m.id), f"{m.filename}{' – ' + m.alt if m.alt else ''}") for m in media_library.images(db)]
    if article is not None and article.hero_image and not media_service.MEDIA_PATH.match(article.hero_image):
        # An imported hero outside the media library stays selectable, so a save does not drop it.
        choices.insert(0, (editing.KEEP_HERO, _("Current: %(image)s") % {"image": article.hero_image}))
    return choices


def render_preview(
    request: Request, db: Session, *, article: Article | None, typed: forms.EditorForm
) -> HTMLResponse:
    """Render the editor again with the typed values and the panes of two readers beside it."""
    draft, errors = editing.preview(db, typed, article=article, zone=request.app.state.settings.zone)
    chosen = typed.values.get("preview_profession", "")
    profession = Profession(chosen) if chosen in Profession.__members__.values() else Profession.PHYSICIAN
    panes = []
    if draft is not None:
        panes = [_pane(request, draft, "visitor"), _pane(request, draft, profession.value)]
    typed.values["preview_profession"] = profession.value
    extra = {"preview": {"draft": draft, "panes": panes}}
    return render_editor(request, db, article=article, typed=typed, errors=errors, extra=extra)


def preview_readers() -> list[tuple[str, str]]:
    """The readers the live preview can show the article as: a visitor, each profession, staff."""
    professions = [(p.value, _(PROFESSION_LABELS[p])) for p in Profession]
    return [("visitor", _("Visitors (not logged in)")), *professions, ("staff", _("Staff of the society"))]


def render_live_pane(request: Request, typed: forms.EditorForm) -> HTMLResponse:
    """Render the typed article as the chosen reader would see it: a fragment for the live preview."""
    draft, problems = editing.draft_of(typed)
    chosen = typed.values.get("viewer", "")
    known = {value for value, _label in preview_readers()}
    pane = _pane(request, draft, chosen if chosen in known else "visitor") if draft else None
    context = {"pane": pane, "draft": draft, "problems": problems}
    return render(request, "admin/articles/_live_preview.html", context)


def _reader(chosen: str) -> tuple[Viewer, str]:
    """The viewer a preview reader stands for, and the pane's heading."""
    if chosen == "visitor":
        return VISITOR, _("What a visitor sees")
    if chosen == "staff":
        return Viewer(is_staff=True, logged_in=True), _("What the society's staff see")
    profession = Profession(chosen)
    # Lower-case inside the sentence in English; German nouns keep their capital.
    label = _(PROFESSION_LABELS[profession])
    label = label.lower() if i18n.current() == i18n.SOURCE_LANGUAGE else label
    viewer = Viewer(profession=profession, logged_in=True, request_state="approved")
    return viewer, _("What %(profession)s see") % {"profession": label}


def _pane(request: Request, draft: Article, chosen: str) -> Pane:
    viewer, heading = _reader(chosen)

    def panel(part: LockedPart) -> str:
        return panels.locked_panel(request, part, viewer)

    # The same rule and renderer as the public page, for a reader who is not the one asking.
    body = visibility.readable_body(draft, viewer, panel=panel)
    locked = None if body else Markup(panel(visibility.closed_part(draft)))  # noqa: S704
    return Pane(heading, body, locked)


def render_conflict(
    request: Request, db: Session, *, article: Article | None, typed: forms.EditorForm
) -> HTMLResponse:
    """Refuse a stale save: keep what was typed and show who saved in between, and what changed."""
    assert article is not None  # only an existing article has versions to conflict
    started = revisions.find(db, article, typed.version) if typed.version else None
    latest = editing.latest_revision(db, article)
    changes = (
        revisions.diff(started, latest, zone=request.app.state.settings.zone) if started and latest else []
    )
    conflict = {"latest": latest, "started": typed.version, "changes": changes}
    # Saving again from this page means: I have merged the other change.
    typed.values["version"] = str(article.version)
    return render_editor(request, db, article=article, typed=typed, status=409, extra={"conflict": conflict})
