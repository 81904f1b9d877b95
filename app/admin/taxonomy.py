"""Staff pages for categories: list with counts, create, rename, delete when unused (editors)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.dependencies import Editor
from app.articles import taxonomy, taxonomy_queries
from app.articles.models import Category
from app.articles.taxonomy_forms import CategoryForm, form_values
from app.core.db import Db
from app.core.forms import Form, text_fields, validate
from app.core.proxies import client_ip
from app.core.web import flash, page_number, page_or_404, render

router = APIRouter(prefix="/admin")
FIELDS = ("name", "slug", "description")


def _find(db: Db, category_id: int) -> Category:
    found = db.get(Category, category_id)
    if found is None:
        raise HTTPException(404, "There is no such category.")
    return found


@router.get("/categories", name="admin.categories", response_class=HTMLResponse)
def categories(request: Request, db: Db, user: Editor, page: str | None = None) -> Response:
    """List the categories with how many articles each holds."""
    size = request.app.state.settings.page_size
    found = page_or_404(taxonomy_queries.list_categories(db, number=page_number(page), size=size))
    return render(request, "admin/taxonomy/categories.html", {"page": found})


@router.get("/categories/new", name="admin.category_new", response_class=HTMLResponse)
def new_category(request: Request, db: Db, user: Editor) -> Response:
    """Show the form for a new category."""
    return render(request, "admin/taxonomy/category_new.html", {"values": {}, "errors": {}})


@router.post("/categories/new", name="admin.category_create", response_class=HTMLResponse)
def create_category(request: Request, db: Db, user: Editor, form: Form) -> Response:
    """Create a category; its slug comes from the name unless one is given."""
    values = form_values(text_fields(form), FIELDS)
    valid, errors = validate(CategoryForm, values)
    category = None
    if valid is not None:
        try:
            category = taxonomy.create_category(db, **valid.model_dump(), actor=user, ip=client_ip(request))
        except taxonomy.TaxonomyRefused as refused:
            db.rollback()
            errors = {refused.field: str(refused)}
    if category is None:
        context = {"values": values, "errors": errors}
        return render(request, "admin/taxonomy/category_new.html", context, status_code=422)
    db.commit()
    flash(request, f"The category “{category.name}” was created at /categories/{category.slug}.", "success")
    return RedirectResponse(request.app.url_path_for("admin.category", category_id=category.id), 303)


def _edit_page(
    request: Request,
    db: Db,
    category: Category,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    page: str | None = None,
    status: int = 200,
) -> Response:
    size = request.app.state.settings.page_size
    articles = page_or_404(
        taxonomy_queries.category_articles(db, category, number=page_number(page), size=size)
    )
    context = {
        "category": category,
        "values": values or {name: getattr(category, name) for name in FIELDS},
        "errors": errors or {},
        "problem": problem,
        "articles": articles,
        "former": taxonomy_queries.former_category_slugs(db, category),
    }
    return render(request, "admin/taxonomy/category.html", context, status_code=status)


@router.get("/categories/{category_id}", name="admin.category", response_class=HTMLResponse)
def category(request: Request, db: Db, user: Editor, category_id: int, page: str | None = None) -> Response:
    """Show a category's form, its former addresses, its articles, and deletion when unused."""
    return _edit_page(request, db, _find(db, category_id), page=page)


@router.post("/categories/{category_id}", name="admin.category_update", response_class=HTMLResponse)
def update_category(request: Request, db: Db, user: Editor, form: Form, category_id: int) -> Response:
    """Rename a category or change its description; its old address keeps redirecting."""
    found = _find(db, category_id)
    values = form_values(text_fields(form), FIELDS)
    valid, errors = validate(CategoryForm, values)
    if valid is not None:
        try:
            taxonomy.update_category(db, found, **valid.model_dump(), actor=user, ip=client_ip(request))
        except taxonomy.TaxonomyRefused as refused:
            db.rollback()
            errors = {refused.field: str(refused)}
    if valid is None or errors:
        return _edit_page(request, db, found, values=values, errors=errors, status=422)
    db.commit()
    flash(request, f"The category “{found.name}” was saved.", "success")
    return RedirectResponse(request.app.url_path_for("admin.category", category_id=found.id), 303)


@router.post("/categories/{category_id}/delete", name="admin.category_delete", response_class=HTMLResponse)
def delete_category(request: Request, db: Db, user: Editor, form: Form, category_id: int) -> Response:
    """Delete a category that no article uses; otherwise say how many do."""
    found = _find(db, category_id)
    name = found.name
    try:
        taxonomy.delete_category(db, found, actor=user, ip=client_ip(request))
    except taxonomy.TaxonomyRefused as refused:
        db.rollback()
        return _edit_page(request, db, found, problem=str(refused), status=409)
    db.commit()
    flash(request, f"The category “{name}” was deleted.", "success")
    return RedirectResponse(request.app.url_path_for("admin.categories"), 303)
