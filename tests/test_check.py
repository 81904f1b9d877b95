"""`portal check` tells an operator what stands between this installation and production."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.core.config import Settings
from tests.scanners import fake_clamd
from tests.test_login import redis_url  # noqa: F401  (fixture)
from tests.test_mail import Recorder, SmtpServers, free_port, smtp_servers  # noqa: F401  (fixture)

SECRET = "s" * 40


def check(monkeypatch: pytest.MonkeyPatch, settings: Settings, **env: str) -> tuple[int, str]:
    """Run `portal check` with the test's database and directories, plus `env`."""
    values = {
        "PORTAL_DATABASE_URL": settings.database_url,
        "PORTAL_UPLOAD_DIR": str(settings.upload_dir),
        "PORTAL_MEDIA_DIR": str(settings.media_dir),
        **env,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    result = CliRunner().invoke(main, ["check"])
    return result.exit_code, result.output


def line(output: str, topic: str) -> str:
    return next(text for text in output.splitlines() if f" {topic}:" in text)


def test_a_development_install_passes_with_warnings_that_say_what_to_set(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    code, output = check(monkeypatch, settings, PORTAL_ENV="development")
    assert code == 0
    assert line(output, "environment").startswith("warning")
    assert "PORTAL_ENV is development" in output
    assert line(output, "redis") == (
        "warning  redis: PORTAL_REDIS_URL is not set: rate limits are counted per process, not shared"
    )
    assert "PORTAL_SMTP_URL is not set" in line(output, "mail")
    assert "ok       database: reachable, schema at the newest migration" in output
    # Environment, Redis, mail and the malware scanner; SQLite adds its own.
    assert output.rstrip().endswith(f"0 problems, {5 if settings.is_sqlite else 4} warnings.")


def test_unsafe_production_settings_are_named(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    code, output = check(monkeypatch, settings, PORTAL_ENV="production", PORTAL_BASE_URL="http://x.example")
    assert code == 1
    assert "PORTAL_SECRET_KEY must be set" in output
    assert "PORTAL_BASE_URL must be an https:// address" in output


def test_a_missing_database_is_a_problem_and_is_not_created(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.db"
    code, output = check(monkeypatch, settings, PORTAL_DATABASE_URL=f"sqlite:///{missing}")
    assert code == 1
    assert line(output, "database") == f"problem  database: {missing} does not exist: run `portal db upgrade`"
    assert not missing.exists()


def test_unreachable_redis_and_mail_server_are_problems(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    closed = free_port()
    code, output = check(
        monkeypatch,
        settings,
        PORTAL_REDIS_URL=f"redis://127.0.0.1:{closed}/0",
        PORTAL_SMTP_URL=f"smtp://127.0.0.1:{closed}",
    )
    assert code == 1
    assert line(output, "redis").startswith("problem  redis: cannot reach PORTAL_REDIS_URL")
    assert line(output, "mail").startswith("problem  mail: cannot use PORTAL_SMTP_URL")


def test_a_complete_production_setup_has_no_problems(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    redis_url: str,  # noqa: F811
    smtp_servers: SmtpServers,  # noqa: F811
) -> None:
    address = smtp_servers.start(Recorder())
    with fake_clamd() as (scanner, _clamd):
        code, output = check(
            monkeypatch,
            settings,
            PORTAL_ENV="production",
            PORTAL_SECRET_KEY=SECRET,
            PORTAL_BASE_URL="https://portal.example",
            PORTAL_REDIS_URL=redis_url,
            PORTAL_SMTP_URL=f"smtp://{address}",
            PORTAL_MALWARE_SCANNER=scanner,
            PORTAL_TRUSTED_PROXIES="127.0.0.1",
        )
    assert code == 0, output
    assert not [text for text in output.splitlines() if text.startswith("problem")]
    assert line(output, "redis") == "ok       redis: reachable; rate limits are shared by every process"
    assert line(output, "mail") == "ok       mail: the SMTP server accepted a connection and the login"
    warnings = [text for text in output.splitlines() if text.startswith("warning")]
    if settings.is_sqlite:
        assert len(warnings) == 1
        assert warnings[0].startswith("warning  database: SQLite serves one process only")
    else:
        assert warnings == []


def test_the_report_names_the_security_headers_the_hosts_and_the_proxies(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    _, output = check(monkeypatch, settings, PORTAL_ENV="development", PORTAL_ALLOWED_HOSTS="portal.example")
    assert line(output, "headers") == (
        "ok       headers: CSP without inline script, no framing, nosniff, referrer and permissions "
        "policies, COOP; HSTS off (production only)"
    )
    assert line(output, "hosts") == (
        "ok       hosts: 127.0.0.1, localhost, portal.example; a request for any other host gets 400"
    )
    assert line(output, "proxies") == (
        "ok       proxies: none trusted; X-Forwarded-* headers are ignored, "
        "the connecting address is the client"
    )


def test_production_sends_hsts_and_warns_when_no_proxy_is_trusted(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    production = {
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_BASE_URL": "https://portal.example",
    }
    _, output = check(monkeypatch, settings, **production, PORTAL_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.1")
    assert line(output, "headers").endswith("; HSTS on (max-age=63072000; includeSubDomains)")
    assert line(output, "hosts") == "ok       hosts: portal.example; a request for any other host gets 400"
    assert line(output, "proxies") == (
        "ok       proxies: X-Forwarded-For, -Proto and -Host are believed from 10.0.0.0/8, 192.0.2.1 only"
    )
    _, output = check(monkeypatch, settings, **production, PORTAL_TRUSTED_PROXIES="")
    assert line(output, "proxies") == (
        "warning  proxies: PORTAL_TRUSTED_PROXIES is not set: behind a reverse proxy, every visitor "
        "would share the proxy's address in rate limits and the audit log"
    )


def test_the_report_says_whether_mail_leaves_and_so_what_the_outbox_shows(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    _, demo = check(monkeypatch, settings, PORTAL_ENV="development", PORTAL_SMTP_URL="")
    _, production = check(
        monkeypatch,
        settings,
        PORTAL_ENV="production",
        PORTAL_SECRET_KEY=SECRET,
        PORTAL_BASE_URL="https://portal.example",
        PORTAL_SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
    )
    _, waiting = check(monkeypatch, settings, PORTAL_ENV="production", PORTAL_SMTP_URL="")

    assert line(demo, "outbox") == (
        "ok       outbox: no mail leaves (development demo without PORTAL_SMTP_URL): "
        "admins read every message and its links at /admin/outbox"
    )
    assert line(production, "outbox") == (
        "ok       outbox: mail leaves through PORTAL_SMTP_URL: /admin/outbox shows recipient, subject, "
        "state, attempts and last error only"
    )
    assert line(waiting, "outbox") == (
        "ok       outbox: no mail leaves until PORTAL_SMTP_URL is set: /admin/outbox shows recipient, "
        "subject, state, attempts and last error only"
    )
