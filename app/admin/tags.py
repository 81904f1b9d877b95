"""Staff pages for tags: list with counts, create, rename, merge, delete when unused (editors)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.dependencies import Editor
from app.articles import taxonomy, taxonomy_queries
from app.articles.models import Tag
from app.articles.taxonomy_forms import TagForm, form_values
from app.core.db import Db
from app.core.forms import Form, text_fields, validate
from app.core.proxies import client_ip
from app.core.text import row_number
from app.core.web import flash, page_number, page_or_404, render

router = APIRouter(prefix="/admin")
FIELDS = ("name", "slug")


def _find(db: Db, tag_id: int) -> Tag:
    found = db.get(Tag, tag_id)
    if found is None:
        raise HTTPException(404, "There is no such tag.")
    return found


@router.get("/tags", name="admin.tags", response_class=HTMLResponse)
def tags(request: Request, db: Db, user: Editor, page: str | None = None) -> Response:
    """List the tags with how many articles carry each."""
    size = request.app.state.settings.page_size
    found = page_or_404(taxonomy_queries.list_tags(db, number=page_number(page), size=size))
    return render(request, "admin/taxonomy/tags.html", {"page": found})


@router.get("/tags/new", name="admin.tag_new", response_class=HTMLResponse)
def new_tag(request: Request, db: Db, user: Editor) -> Response:
    """Show the form for a new tag."""
    return render(request, "admin/taxonomy/tag_new.html", {"values": {}, "errors": {}})


@router.post("/tags/new", name="admin.tag_create", response_class=HTMLResponse)
def create_tag(request: Request, db: Db, user: Editor, form: Form) -> Response:
    """Create a tag; its slug comes from the name unless one is given."""
    values = form_values(text_fields(form), FIELDS)
    valid, errors = validate(TagForm, values)
    tag = None
    if valid is not None:
        try:
            tag = taxonomy.create_tag(db, **valid.model_dump(), actor=user, ip=client_ip(request))
        except taxonomy.TaxonomyRefused as refused:
            db.rollback()
            errors = {refused.field: str(refused)}
    if tag is None:
        context = {"values": values, "errors": errors}
        return render(request, "admin/taxonomy/tag_new.html", context, status_code=422)
    db.commit()
    flash(request, f"The tag “{tag.name}” was created at /tags/{tag.slug}.", "success")
    return RedirectResponse(request.app.url_path_for("admin.tag", tag_id=tag.id), 303)


def _edit_page(
    request: Request,
    db: Db,
    tag: Tag,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    page: str | None = None,
    status: int = 200,
) -> Response:
    size = request.app.state.settings.page_size
    articles = page_or_404(taxonomy_queries.tag_articles(db, tag, number=page_number(page), size=size))
    context = {
        "tag": tag,
        "values": values or {name: getattr(tag, name) for name in FIELDS},
        "errors": errors or {},
        "problem": problem,
        "articles": articles,
        "former": taxonomy_queries.former_tag_slugs(db, tag),
        "others": taxonomy_queries.other_tags(db, tag),
    }
    return render(request, "admin/taxonomy/tag.html", context, status_code=status)


@router.get("/tags/{tag_id}", name="admin.tag", response_class=HTMLResponse)
def tag(request: Request, db: Db, user: Editor, tag_id: int, page: str | None = None) -> Response:
    """Show a tag's form, its former addresses, its articles, merging, and deletion when unused."""
    return _edit_page(request, db, _find(db, tag_id), page=page)


@router.post("/tags/{tag_id}", name="admin.tag_update", response_class=HTMLResponse)
def update_tag(request: Request, db: Db, user: Editor, form: Form, tag_id: int) -> Response:
    """Rename a tag; its old address keeps redirecting."""
    found = _find(db, tag_id)
    values = form_values(text_fields(form), FIELDS)
    valid, errors = validate(TagForm, values)
    if valid is not None:
        try:
            taxonomy.rename_tag(db, found, **valid.model_dump(), actor=user, ip=client_ip(request))
        except taxonomy.TaxonomyRefused as refused:
            db.rollback()
            errors = {refused.field: str(refused)}
    if valid is None or errors:
        return _edit_page(request, db, found, values=values, errors=errors, status=422)
    db.commit()
    flash(request, f"The tag “{found.name}” was saved.", "success")
    return RedirectResponse(request.app.url_path_for("admin.tag", tag_id=found.id), 303)


def _merge_target(db: Db, source: Tag, chosen: str) -> tuple[Tag | None, dict[str, str]]:
    """The tag picked to merge into, or the message to show beside the choice."""
    number = row_number(chosen)
    target = db.get(Tag, number) if number is not None else None
    if target is None:
        return None, {"into": "Choose the tag to merge into."}
    if target.id == source.id:
        return None, {"into": "Choose another tag than the one being merged."}
    return target, {}


def _merge_page(request: Request, db: Db, source: Tag, chosen: str, *, failed: bool = False) -> Response:
    target, errors = _merge_target(db, source, chosen) if chosen or failed else (None, {})
    context = {
        "tag": source,
        "target": target,
        "values": {"into": chosen},
        "errors": errors,
        "others": taxonomy_queries.other_tags(db, source),
        "carrying": taxonomy_queries.tag_articles(db, source, number=1, size=1).total,
        "already": taxonomy_queries.articles_with_both(db, source, target) if target else 0,
        "former": taxonomy_queries.former_tag_slugs(db, source),
    }
    return render(request, "admin/taxonomy/tag_merge.html", context, status_code=422 if errors else 200)


@router.get("/tags/{tag_id}/merge", name="admin.tag_merge", response_class=HTMLResponse)
def merge_tag(request: Request, db: Db, user: Editor, tag_id: int, into: str = "") -> Response:
    """Choose the tag to merge this one into, then see what the merge will do before confirming."""
    return _merge_page(request, db, _find(db, tag_id), into)


@router.post("/tags/{tag_id}/merge", name="admin.tag_merge_confirm", response_class=HTMLResponse)
def confirm_merge(request: Request, db: Db, user: Editor, form: Form, tag_id: int) -> Response:
    """Merge the tag into the chosen one: its articles carry that one, its address leads there."""
    source = _find(db, tag_id)
    chosen = text_fields(form).get("into", "")
    target, errors = _merge_target(db, source, chosen)
    if target is None:
        return _merge_page(request, db, source, chosen, failed=True)
    name = source.name
    count = taxonomy.merge_tags(db, source, into=target, actor=user, ip=client_ip(request))
    db.commit()
    articles = "1 article" if count == 1 else f"{count} articles"
    flash(request, f"“{name}” was merged into “{target.name}”; {articles} carried it.", "success")
    return RedirectResponse(request.app.url_path_for("admin.tag", tag_id=target.id), 303)


@router.post("/tags/{tag_id}/delete", name="admin.tag_delete", response_class=HTMLResponse)
def delete_tag(request: Request, db: Db, user: Editor, form: Form, tag_id: int) -> Response:
    """Delete a tag that no article carries; otherwise say how many do."""
    found = _find(db, tag_id)
    name = found.name
    try:
        taxonomy.delete_tag(db, found, actor=user, ip=client_ip(request))
    except taxonomy.TaxonomyRefused as refused:
        db.rollback()
        return _edit_page(request, db, found, problem=str(refused), status=409)
    db.commit()
    flash(request, f"The tag “{name}” was deleted.", "success")
    return RedirectResponse(request.app.url_path_for("admin.tags"), 303)
