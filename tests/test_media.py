"""Images are served through the same rule as the text around them."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.articles.models import Article, ArticleStatus
from app.core.config import Settings
from app.media.models import MediaFile
from app.publishing.importer import import_file
from tests.asgi_client import TestClient
from tests.conftest import soup
from tests.viewers import browser_for


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


PNG = png(12, 8)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'
ARTICLE = """---
title: Figures
summary: Two figures, one for professionals.
category: Mental health
published: 2026-01-01T08:00:00Z
---
![A public chart](figures/public.svg "Public caption")

::: professional prescribers
![A gated chart](figures/gated.png "Gated caption")
:::
"""


def imported(db: Session, tmp_path: Path, settings: Settings, text: str = ARTICLE) -> dict[str, str]:
    (tmp_path / "figures").mkdir(exist_ok=True)
    (tmp_path / "figures" / "public.svg").write_bytes(SVG)
    (tmp_path / "figures" / "gated.png").write_bytes(PNG)
    source = tmp_path / "figures.md"
    source.write_text(text)
    import_file(db, source, media_dir=settings.media_dir)
    db.commit()
    files = db.scalars(select(MediaFile)).all()
    return {f.filename.rsplit(".", 1)[1]: f"/media/{f.id}/{f.filename}" for f in files}


def test_import_copies_relative_images_into_the_media_library(
    app: FastAPI, db: Session, tmp_path: Path, settings: Settings
) -> None:
    urls = imported(db, tmp_path, settings)
    assert set(urls) == {"svg", "png"}
    physician = browser_for("physician", app, db, settings)
    html = physician.get("/articles/figures").text
    assert f'src="{urls["svg"]}"' in html and f'src="{urls["png"]}"' in html
    # The raster's pixels were measured as it was stored, and its figure is drawn at that size.
    gated = soup(html).select_one(f'.prose figure img[src="{urls["png"]}"]')
    assert gated is not None and (gated["width"], gated["height"]) == ("12", "8")
    physician.__exit__(None, None, None)


def test_an_uploaded_figure_has_its_drawn_size_and_opens_at_full_size(
    client: TestClient, db: Session, tmp_path: Path, settings: Settings
) -> None:
    urls = imported(db, tmp_path, settings)
    figure = soup(client.get("/articles/figures").text).select_one(".prose figure")
    assert figure is not None and figure.a is not None and figure.img is not None
    assert figure.a["href"] == figure.img["src"] == urls["svg"]
    assert (figure.img["width"], figure.img["height"]) == ("10", "10")


def test_a_gated_image_is_served_only_to_those_who_may_see_its_block(
    app: FastAPI, db: Session, tmp_path: Path, settings: Settings
) -> None:
    urls = imported(db, tmp_path, settings)
    for kind, gated_status in [
        ("visitor", 404),
        ("pending", 404),
        ("unconsented", 404),
        ("therapist", 404),
        ("physician", 200),
        ("reviewer", 200),
    ]:
        client = browser_for(kind, app, db, settings)
        public = client.get(urls["svg"])
        gated = client.get(urls["png"])
        client.__exit__(None, None, None)
        assert public.status_code == 200 and public.content == SVG, kind
        assert gated.status_code == gated_status, kind
        if gated_status == 200:
            assert gated.content == PNG and gated.headers["cache-control"] == "private, no-store"
        else:
            assert PNG not in gated.content


def test_a_file_is_served_with_headers_that_keep_it_inert(
    app: FastAPI, db: Session, tmp_path: Path, settings: Settings
) -> None:
    urls = imported(db, tmp_path, settings)
    client = browser_for("visitor", app, db, settings)
    response = client.get(urls["svg"])
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert client.get(urls["svg"].rsplit("/", 1)[0] + "/other-name.svg").status_code == 404
    assert client.get("/media/999/none.png").status_code == 404
    client.__exit__(None, None, None)


def test_an_image_used_only_in_a_draft_is_not_served(
    app: FastAPI, db: Session, tmp_path: Path, settings: Settings
) -> None:
    urls = imported(
        db, tmp_path, settings, ARTICLE.replace("published: 2026-01-01T08:00:00Z", "status: draft")
    )
    client = browser_for("visitor", app, db, settings)
    assert client.get(urls["svg"]).status_code == 404
    client.__exit__(None, None, None)


def test_a_public_file_is_revalidated_on_every_use_and_stops_when_its_article_is_unpublished(
    client: TestClient, db: Session, tmp_path: Path, settings: Settings
) -> None:
    urls = imported(db, tmp_path, settings)
    first = client.get(urls["svg"])
    assert first.headers["cache-control"] == "public, no-cache" and first.headers["etag"]
    again = client.get(urls["svg"], headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    article = db.scalars(select(Article).where(Article.slug == "figures")).one()
    article.status = ArticleStatus.DRAFT
    db.commit()
    # A cache revalidating its copy is told the file is gone.
    assert client.get(urls["svg"], headers={"If-None-Match": first.headers["etag"]}).status_code == 404
