"""SIGKILL the web worker and the mail sender while reviewers approve and applicants upload.

After a restart, what is stored must still hang together: every approved request has exactly one
decision audit event and one outbox message, none was approved without a confirmed address, and
every credential document has its row and every row its document.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.db import utcnow
from app.jobs import files
from app.mail.models import OutboxMessage
from tests import factories
from tests.conftest import FAST_HASHING, POSTGRES_URL, SharedEngines
from tests.live import PORTAL, Browser, free_port, portal_env, portal_serve

pytestmark = pytest.mark.crash

APPLICANTS = 4
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def post_upload(browser: Browser, fields: dict[str, str]) -> int:
    """Send the access request form with a small PDF, as multipart/form-data."""
    boundary = "portalcrashtest"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="licence.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + PDF
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return browser.fetch("POST", "/request-access", body, f"multipart/form-data; boundary={boundary}")[0]


def keep_trying(action, deadline: float) -> None:  # type: ignore[no-untyped-def]
    """Repeat `action` until it says it is done; a killed worker only drops a connection."""
    while time.monotonic() < deadline:
        try:
            if action():
                return
        except (OSError, http.client.HTTPException, AssertionError):
            time.sleep(0.1)


@pytest.fixture
def database_url(
    tmp_path: Path, sqlite_template: Path, request: pytest.FixtureRequest, shared_engines: SharedEngines
) -> Iterator[str]:
    if POSTGRES_URL:
        url = request.getfixturevalue("postgres_database")
        yield url
        shared_engines.empty(url)
        return
    shutil.copyfile(sqlite_template, tmp_path / "portal.db")
    yield f"sqlite:///{tmp_path / 'portal.db'}"


def workers_of(server: subprocess.Popen[bytes]) -> list[int]:
    """The uvicorn worker processes under `portal serve --workers N` (forked, or spawned when the
    server runs other threads), not multiprocessing's resource tracker."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    tracker = "resource_tracker"
    return [int(pid) for pid in children if tracker not in Path(f"/proc/{pid}/cmdline").read_text()]


def start_sender(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    command = [str(PORTAL), "send-mail", "--loop", "--interval", "1"]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Inbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        self.received.append(envelope.content)
        return "250 OK"


def test_stored_state_holds_together_after_sigkills(tmp_path: Path, database_url: str) -> None:
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        database_url=database_url,
        upload_dir=tmp_path / "uploads",
        media_dir=tmp_path / "media",
        languages="en",
        _env_file=None,
        **FAST_HASHING,
    )
    engine = create_engine(database_url)
    with Session(engine) as db:
        reviewer = factories.staff(db, settings).email
        pending = [factories.applicant(db, settings).id for _ in range(APPLICANTS)]
    smtp_port, port = free_port(), free_port()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = portal_env(
        tmp_path,
        database_url,
        PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
        PORTAL_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        PORTAL_MAIL_RETRY_BASE_SECONDS="1",
        PORTAL_FORM_RATE_LIMIT="1000/minute",
    )
    sender = start_sender(env, tmp_path)
    first_approved = threading.Event()
    try:
        with portal_serve(env, port=port, cwd=tmp_path) as server:
            deadline = time.monotonic() + 60
            staff = Browser(port)
            keep_trying(lambda: staff.post("/login", login_form(staff, reviewer)) == 303, deadline)
            approving = threading.Thread(
                target=approve_all, args=(staff, pending, deadline, database_url, first_approved)
            )
            applying = threading.Thread(target=apply_repeatedly, args=(Browser(port), deadline, APPLICANTS))
            approving.start(), applying.start()
            # Kill once the first approval and its mail are in and the rest are on their way, rather
            # than after a fixed pause that a busy machine may spend before anything is written.
            # The other worker serves the rest (a second kill used to meet only the replacement
            # worker while it was still importing the app).
            assert first_approved.wait(timeout=deadline - time.monotonic()), "no approval went through"
            os.kill(workers_of(server)[0], signal.SIGKILL)
            sender.kill()
            approving.join(), applying.join()
            # The end is a crash too: SIGTERM would wait for the supervisor, busy with the
            # replacement worker, and then for the graceful shutdown.
            os.killpg(server.pid, signal.SIGKILL)
    finally:
        sender.kill()
        sender.wait()
        smtp.stop()
    with Session(engine) as db:
        check_invariants(
            db,
            settings.model_copy(update={"upload_dir": tmp_path / "uploads", "media_dir": tmp_path / "media"}),
        )
        assert (
            db.scalar(select(func.count()).where(AccessRequest.state == RequestState.APPROVED)) == APPLICANTS
        )
    engine.dispose()


def login_form(browser: Browser, email: str) -> dict[str, str]:
    return {"csrf_token": browser.form_token("/login"), "email": email, "password": factories.PASSWORD}


def approve_all(
    staff: Browser, pending: list[int], deadline: float, database_url: str, approved: threading.Event
) -> None:
    engine = create_engine(database_url)
    for request_id in pending:

        def approve(request_id: int = request_id) -> bool:
            # A worker killed after its commit leaves no answer: the database says what happened.
            with Session(engine) as db:
                if db.get(AccessRequest, request_id).state == RequestState.APPROVED:  # type: ignore[union-attr]
                    return True
            page = f"/admin/requests/{request_id}"
            status, html = staff.fetch("GET", page)
            revision = re.search(r'name="revision" value="(\d+)"', html)
            assert revision, f"no decision form on {page} ({status})"
            token = re.search(r'name="csrf_token" value="([^"]+)"', html)
            assert token
            fields = {"csrf_token": token.group(1), "revision": revision.group(1)}
            staff.post(f"{page}/approve", fields)
            return False

        keep_trying(approve, deadline)
        approved.set()
    engine.dispose()


def apply_repeatedly(browser: Browser, deadline: float, count: int) -> None:
    for number in range(count):

        def apply(number: int = number) -> bool:
            fields = {
                "csrf_token": browser.form_token("/request-access"),
                "full_name": f"Dr. Crash {number}",
                "email": f"crash{number}@clinic.example",
                "password": factories.PASSWORD,
                "password_confirm": factories.PASSWORD,
                "profession": "physician",
                "licence_number": factories.npi(),
                "licence_country": "US",
                "institution": "Example Clinic",
                "country": "US",
                "accept_terms": "on",
            }
            return post_upload(browser, fields) == 303

        keep_trying(apply, deadline)


def check_invariants(db: Session, settings: Settings) -> None:
    """What must hold whatever was killed when, once `portal tick` has swept the upload folder.

    A process killed between writing a document and committing its row cannot remove the file;
    the tick's sweep does, once the file is an hour old, so the check runs the sweep an hour on.
    """
    uploads = settings.upload_dir
    files.remove_strays(db, settings, utcnow() + files.STRAY_AFTER + timedelta(minutes=1))
    approved = db.scalars(select(AccessRequest).where(AccessRequest.state == RequestState.APPROVED)).all()
    for item in approved:
        decisions = db.scalar(
            select(func.count()).where(
                AuditEvent.action == "request.approved", AuditEvent.target_id == item.id
            )
        )
        assert decisions == 1, f"request {item.id}: {decisions} decision events"
        user = db.get(User, item.user_id)
        assert user is not None and user.email_verified_at is not None
        mails = db.scalar(
            select(func.count()).where(
                OutboxMessage.to_address == user.email, OutboxMessage.message == "approved"
            )
        )
        assert mails == 1, f"request {item.id}: {mails} approval messages"
    documents = set(
        db.scalars(select(AccessRequest.document_path).where(AccessRequest.document_path.is_not(None)))
    )
    assert all(Path(path).exists() for path in documents), "a request names a document that is gone"
    stored = {str(path) for path in (uploads / "requests").glob("*")}
    assert documents, "no document was uploaded"
    assert stored <= documents, f"files without a row: {sorted(stored - documents)}"
