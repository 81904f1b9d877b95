"""`portal check`: is this installation ready for production? Each check says what to fix."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy.engine import make_url

from app.core import malware
from app.core.config import Settings
from app.core.db import make_engine
from app.core.headers import HSTS
from app.core.health import readiness_problem


class Verdict(StrEnum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    verdict: Verdict
    topic: str
    detail: str

    def __str__(self) -> str:
        return f"{self.verdict.value:<8} {self.topic}: {self.detail}"


def run_checks(settings: Settings) -> list[Finding]:
    """Check the settings and every service the portal talks to; nothing is changed."""
    checks: list[Callable[[Settings], Iterator[Finding]]] = [
        _environment,
        _edge,
        _database,
        _redis,
        _mail,
        _outbox,
        _directories,
        _malware_scanner,
    ]
    return [finding for check in checks for finding in check(settings)]


def _environment(settings: Settings) -> Iterator[Finding]:
    # Production settings that are unsafe never get this far: Settings() refuses them.
    if settings.env == "production":
        yield Finding(
            Verdict.OK, "environment", "production, with a secret key, debug off and an https base URL"
        )
    else:
        yield Finding(Verdict.WARNING, "environment", f"PORTAL_ENV is {settings.env}; set it to production")


def _edge(settings: Settings) -> Iterator[Finding]:
    hsts = f"on ({HSTS})" if settings.env == "production" else "off (production only)"
    policies = "CSP without inline script, no framing, nosniff, referrer and permissions policies, COOP"
    yield Finding(Verdict.OK, "headers", f"{policies}; HSTS {hsts}")
    hosts = ", ".join(settings.allowed_host_names)
    yield Finding(Verdict.OK, "hosts", f"{hosts}; a request for any other host gets 400")
    proxies = [
        str(n.network_address) if n.num_addresses == 1 else str(n) for n in settings.trusted_proxy_networks
    ]
    if proxies:
        believed = f"X-Forwarded-For, -Proto and -Host are believed from {', '.join(proxies)} only"
        yield Finding(Verdict.OK, "proxies", believed)
    elif settings.env == "production":
        yield Finding(
            Verdict.WARNING,
            "proxies",
            "PORTAL_TRUSTED_PROXIES is not set: behind a reverse proxy, every visitor would share "
            "the proxy's address in rate limits and the audit log",
        )
    else:
        ignored = "none trusted; X-Forwarded-* headers are ignored, the connecting address is the client"
        yield Finding(Verdict.OK, "proxies", ignored)


def _database(settings: Settings) -> Iterator[Finding]:
    sqlite_file = make_url(settings.database_url).database if settings.is_sqlite else None
    if sqlite_file and sqlite_file != ":memory:" and not Path(sqlite_file).is_file():
        # Connecting would create an empty file; say what is missing instead.
        yield Finding(Verdict.PROBLEM, "database", f"{sqlite_file} does not exist: run `portal db upgrade`")
        return
    engine = make_engine(settings.database_url)
    try:
        problem = readiness_problem(engine)
    finally:
        engine.dispose()
    if problem:
        yield Finding(Verdict.PROBLEM, "database", problem)
        return
    yield Finding(Verdict.OK, "database", "reachable, schema at the newest migration")
    if settings.is_sqlite:
        yield Finding(
            Verdict.WARNING,
            "database",
            "SQLite serves one process only; set PORTAL_DATABASE_URL to PostgreSQL for several",
        )


def _redis(settings: Settings) -> Iterator[Finding]:
    if not settings.redis_url:
        yield Finding(
            Verdict.WARNING,
            "redis",
            "PORTAL_REDIS_URL is not set: rate limits are counted per process, not shared",
        )
        return
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_timeout=5).ping()
    except (redis.RedisError, ValueError) as error:
        yield Finding(Verdict.PROBLEM, "redis", f"cannot reach PORTAL_REDIS_URL: {error}")
    else:
        yield Finding(Verdict.OK, "redis", "reachable; rate limits are shared by every process")


def _mail(settings: Settings) -> Iterator[Finding]:
    if not settings.smtp_url:
        verdict = Verdict.PROBLEM if settings.env == "production" else Verdict.WARNING
        yield Finding(verdict, "mail", "PORTAL_SMTP_URL is not set: mail stays in the outbox")
        return
    from app.mail.sender import SmtpTransport

    try:
        SmtpTransport(settings, timeout=10).probe()
    except (OSError, ValueError) as error:
        yield Finding(Verdict.PROBLEM, "mail", f"cannot use PORTAL_SMTP_URL: {error}")
    else:
        yield Finding(Verdict.OK, "mail", "the SMTP server accepted a connection and the login")


def _outbox(settings: Settings) -> Iterator[Finding]:
    # Only the demo shows messages: wherever mail leaves, a link there would open an account.
    from app.mail.service import shows_messages

    if shows_messages(settings):
        mode = "no mail leaves (development demo without PORTAL_SMTP_URL)"
        shown = "admins read every message and its links at /admin/outbox"
    else:
        mode = (
            "mail leaves through PORTAL_SMTP_URL"
            if settings.smtp_url
            else "no mail leaves until PORTAL_SMTP_URL is set"
        )
        shown = "/admin/outbox shows recipient, subject, state, attempts and last error only"
    yield Finding(Verdict.OK, "outbox", f"{mode}: {shown}")


def _directories(settings: Settings) -> Iterator[Finding]:
    for setting, directory in (
        ("PORTAL_UPLOAD_DIR", settings.upload_dir),
        ("PORTAL_MEDIA_DIR", settings.media_dir),
    ):
        if not directory.is_dir():
            # Made on first use; a typo in the path should still show before that.
            yield Finding(Verdict.WARNING, "files", f"{setting} ({directory}) does not exist yet")
        elif problem := _unwritable(directory):
            yield Finding(Verdict.PROBLEM, "files", f"{setting} ({directory}) is not writable: {problem}")
        else:
            yield Finding(Verdict.OK, "files", f"{setting} ({directory}) is writable")


def _malware_scanner(settings: Settings) -> Iterator[Finding]:
    if not settings.malware_scanner:
        yield Finding(
            Verdict.WARNING,
            "malware scanner",
            "PORTAL_MALWARE_SCANNER is not set: uploaded documents and media files are not scanned",
        )
        return
    try:
        said = malware.probe(settings.malware_scanner)
    except malware.ScannerUnavailable as error:
        yield Finding(
            Verdict.PROBLEM,
            "malware scanner",
            f"{settings.malware_scanner} cannot scan ({error.reason}): every upload is refused until it can",
        )
    else:
        yield Finding(Verdict.OK, "malware scanner", f"{settings.malware_scanner}: {said}")


def _unwritable(directory: Path) -> str | None:
    try:
        with tempfile.NamedTemporaryFile(dir=directory):
            pass
    except OSError as error:
        return os.strerror(error.errno) if error.errno else str(error)
    return None
