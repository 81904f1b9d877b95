"""Every file in the upload folders has its row: a refused, rate-limited or failed request keeps
no file, and `portal tick` removes what was left behind anyway."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from app.access.models import AccessRequest, RequestState
from app.core import stored_files
from app.core.config import Settings
from app.jobs import tick
from app.media.models import MediaFile
from app.media.service import store_file
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import submit
from tests.conftest import soup
from tests.test_access_request import PDF, form
from tests.test_admin_media import image_bytes, upload
from tests.viewers import browser_for


def files_in(folder: Path) -> set[Path]:
    return {path.resolve() for path in folder.rglob("*") if path.is_file()} if folder.exists() else set()


def documents_named(db: Session) -> set[Path]:
    db.expire_all()
    paths = db.scalars(select(AccessRequest.document_path).where(AccessRequest.document_path.is_not(None)))
    return {Path(str(path)).resolve() for path in paths}


def with_document(**fields: Any) -> dict[str, Any]:
    return {"document": ("licence.pdf", PDF, "application/pdf"), **fields}


def test_rate_limited_requests_keep_no_document(client: TestClient, db: Session, settings: Settings) -> None:
    pages = [
        submit(client, "/request-access", form(email=f"person{n}@clinic.example"), files=with_document())
        for n in range(10)
    ]
    assert [page.status_code for page in pages] == [303] * 5 + [429] * 5
    assert "Too many requests" in soup(pages[-1].text).select_one("#email-error").get_text()
    assert soup(pages[-1].text).select_one("#full_name")["value"] == "Dr. Mara Example"
    assert len(documents_named(db)) == 5
    assert files_in(settings.upload_dir) == documents_named(db)


def test_a_request_for_a_known_address_keeps_no_document(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.applicant(db, settings, email="owner@clinic.example", state=RequestState.APPROVED)
    response = submit(client, "/request-access", form(email="owner@clinic.example"), files=with_document())
    assert response.headers["location"] == "/request-access/sent"
    assert files_in(settings.upload_dir) == set()


def test_a_request_whose_commit_fails_keeps_no_document(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    def refuse(session: Session) -> None:
        raise RuntimeError("the database went away")

    event.listen(app.state.session_factory, "before_commit", refuse)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = submit(client, "/request-access", form(), files=with_document())
    event.remove(app.state.session_factory, "before_commit", refuse)
    assert "Something went wrong on our side" in response.text
    assert db.scalars(select(AccessRequest)).all() == []
    assert files_in(settings.upload_dir) == set()


def test_a_media_upload_whose_commit_fails_keeps_no_file(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    def refuse(session: Session) -> None:
        raise RuntimeError("the database went away")

    editor = browser_for("editor", app, db, settings)
    event.listen(app.state.session_factory, "before_commit", refuse)
    try:
        with TestClient(app, raise_server_exceptions=False, cookies=editor.cookies) as client:
            response = upload(client, "chart.png", image_bytes("PNG"))
    finally:
        event.remove(app.state.session_factory, "before_commit", refuse)
        editor.__exit__(None, None, None)
    assert "Something went wrong on our side" in response.text
    assert db.scalars(select(MediaFile)).all() == []
    assert files_in(settings.media_dir) == set()


def aged(path: Path, hours: float, data: bytes = PDF) -> Path:
    """Write `path` as if it had been written `hours` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - hours * 3600
    os.utime(path, (then, then))
    return path


def test_tick_removes_files_without_a_row_once_they_are_an_hour_old(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    folder = settings.upload_dir / "requests"
    request = factories.applicant(db, settings, state=RequestState.PENDING)
    request.document_path = str(aged(folder / stored_files.new_name(".pdf"), hours=5))
    source = aged(settings.upload_dir.parent / "chart.png", hours=0, data=image_bytes("PNG"))
    media = store_file(db, source, settings.media_dir, alt="A chart")
    db.commit()
    stray = aged(folder / stored_files.new_name(".pdf"), hours=2)
    stray_media = aged(settings.media_dir / stored_files.new_name(".png"), hours=2)
    stray_thumbnail = aged(settings.media_dir / f"{stray_media.stem}.thumb.jpg", hours=2)
    just_written = aged(folder / stored_files.new_name(".pdf"), hours=0.5)
    not_ours = aged(settings.upload_dir / "README.txt", hours=48)
    with capture_logs() as logs:
        report = tick.run(app.state.session_factory, settings)
    assert report.failed == [] and report.done["stray upload files removed"] == 3
    assert "3 stray upload files removed" in str(report)
    assert {"event": "tick.stray_files_removed", "count": 3, "log_level": "info"} in logs
    assert not stray.exists() and not stray_media.exists() and not stray_thumbnail.exists()
    assert files_in(settings.upload_dir) == {*documents_named(db), just_written.resolve(), not_ours.resolve()}
    assert files_in(settings.media_dir) == {Path(media.path).resolve()}
    assert tick.run(app.state.session_factory, settings).done["stray upload files removed"] == 0


def test_tick_removes_nothing_when_the_database_names_no_file_at_all(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    # Most likely the wrong database (PORTAL_DATABASE_URL) for these folders: keep everything.
    old = aged(settings.upload_dir / "requests" / stored_files.new_name(".pdf"), hours=48)
    with capture_logs() as logs:
        report = tick.run(app.state.session_factory, settings)
    assert report.done["stray upload files removed"] == 0 and old.exists()
    assert {
        "event": "tick.strays_kept",
        "reason": "no row names any stored file",
        "log_level": "warning",
    } in [{key: entry[key] for key in ("event", "reason", "log_level") if key in entry} for entry in logs]
