"""The `portal` command."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import click
import uvicorn

from app.core import migrations
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory
from app.core.serving import SERVER_OPTIONS, prepare_workers

DEMO_DIR = Path(__file__).resolve().parent / "demo" / "articles"


@click.group()
def main() -> None:
    """Portico: a medical society's articles and its professional area."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    settings = Settings()
    migrations.upgrade(settings.database_url, default_language=settings.default_language)
    click.echo("Database schema is up to date.")


@db.command("reindex")
def db_reindex() -> None:
    """Rebuild the search index of every article (after restoring a backup, say)."""
    from app.search import service as search_service

    engine = make_engine(Settings().database_url)
    with make_session_factory(engine)() as session:
        count = search_service.reindex_all(session)
        session.commit()
    engine.dispose()
    click.echo(f"Search index rebuilt for {count} articles.")


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_files(files: tuple[Path, ...]) -> None:
    """Import Markdown articles with YAML front matter; each file lands whole or not at all."""
    from app.publishing.importer import ImportProblem, import_file

    settings = Settings()
    factory = make_session_factory(make_engine(settings.database_url))
    failed = 0
    for path in files:
        with factory() as session:
            try:
                article = import_file(
                    session, path, media_dir=settings.media_dir, default_language=settings.default_language
                )
                session.commit()
            except ImportProblem as problem:
                session.rollback()
                failed += 1
                click.echo(f"error: {problem}", err=True)
                continue
            click.echo(f"imported {path} as /articles/{article.slug} ({article.status.value})")
    if failed:
        click.echo(f"{failed} of {len(files)} files were not imported.", err=True)
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Load the demo content into an empty database first.")
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Processes to serve with."
)
def serve(host: str, port: int, demo: bool, reload: bool, workers: int) -> None:
    """Serve the portal with uvicorn: no access log or server header; proxies per PORTAL_TRUSTED_PROXIES."""
    # Links in emails should lead back to this server unless a public address was configured.
    os.environ.setdefault("PORTAL_BASE_URL", f"http://{host}:{port}")
    settings = Settings()
    if demo:
        from app.demo import seed

        seed.load_into_empty(settings)
    click.echo(f"Serving {settings.site_name} on http://{host}:{port}")
    # In development the time-based jobs run beside the server; production runs `portal tick`
    # from a timer, or `portal send-mail --loop`, which ticks too.
    stop_ticking = _tick_in_background(settings) if settings.env == "development" else None
    if not reload:
        # The app is loaded once here, before the workers start; each worker still calls `create_app`.
        from app.main import warm_site_routes

        prepare_workers(workers, database_url=settings.database_url, warm=warm_site_routes)
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            reload=reload,
            workers=workers,
            log_level=settings.log_level.lower(),
            timeout_keep_alive=settings.keep_alive_seconds,
            timeout_worker_healthcheck=settings.worker_healthcheck_seconds,
            **SERVER_OPTIONS,
        )
    finally:
        if stop_ticking:
            stop_ticking()


@main.command()
@click.option(
    "--articles", default=0, type=click.IntRange(min=0), help="Generate articles up to this many in all."
)
def demo(articles: int) -> None:
    """Load the demo into an empty database, with generated articles (tags, references, revisions)."""
    from app.demo import generate, seed

    settings = Settings()
    if not seed.load_into_empty(settings) or not articles:
        return
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        added = generate.fill_to(session, articles)
        session.commit()
    engine.dispose()
    click.echo(f"Generated {added} more articles.")


@main.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep running and deliver every INTERVAL seconds.")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=1), metavar="SECONDS")
def send_mail(loop: bool, interval: float) -> None:
    """Deliver the due outbox over PORTAL_SMTP_URL."""
    import signal
    import threading

    from app.core import logging
    from app.mail import sender

    settings = Settings()
    logging.configure(settings)
    if not settings.smtp_url:
        click.echo(
            "error: PORTAL_SMTP_URL is not set, so there is nowhere to send mail "
            "(for example smtp://mail.example.org:587?starttls=true). Queued mail stays in the outbox.",
            err=True,
        )
        sys.exit(1)
    try:
        transport = sender.SmtpTransport(settings)
    except ValueError as problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        if not loop:
            click.echo(str(sender.deliver_due(factory, transport, settings=settings)))
            return
        stop = threading.Event()

        def echo_busy_run(report: sender.DeliveryReport) -> None:
            if report.attempted:  # idle runs every few seconds would bury the ones that did something
                click.echo(str(report))

        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        click.echo(f"Delivering mail and running the time-based jobs every {interval:g} s; stop with Ctrl-C.")
        stop_ticking = _tick_in_background(settings, interval=interval, stop=stop)
        try:
            sender.run_loop(
                factory, transport, settings=settings, interval=interval, stop=stop, on_report=echo_busy_run
            )
        except KeyboardInterrupt:
            click.echo("Stopped.")
        finally:
            stop_ticking()
    finally:
        engine.dispose()


@main.command()
def tick() -> None:
    """Run the time-based jobs once: reminders, expiries, the review digest, scheduled articles, clean-up.

    Safe to run as often as you like, and from several machines at once: nothing is done twice.
    """
    from app.core import logging
    from app.jobs import tick as jobs

    settings = Settings()
    logging.configure(settings)
    engine = make_engine(settings.database_url)
    try:
        report = jobs.run(make_session_factory(engine), settings)
    finally:
        engine.dispose()
    click.echo(str(report))
    if report.failed:
        sys.exit(1)


def _tick_in_background(
    settings: Settings, *, interval: float | None = None, stop: threading.Event | None = None
) -> Callable[[], None]:
    """Run `portal tick` every `interval` seconds in a thread; return what stops it."""
    from app.jobs import tick as jobs

    stop = stop or threading.Event()
    engine = make_engine(settings.database_url)

    def echo_busy(report: jobs.TickReport) -> None:
        if report.busy:
            click.echo(str(report))

    worker = threading.Thread(
        target=jobs.run_loop,
        args=(make_session_factory(engine), settings),
        kwargs={"interval": interval or settings.tick_interval_seconds, "stop": stop, "on_report": echo_busy},
        name="tick",
        daemon=True,
    )
    worker.start()

    def halt() -> None:
        stop.set()
        worker.join(timeout=30)
        engine.dispose()

    return halt


@main.command()
def check() -> None:
    """Report whether settings, database, Redis, mail and file directories are ready for production."""
    from pydantic import ValidationError

    from app.checkup import Verdict, run_checks

    try:
        settings = Settings()
    except ValidationError as error:
        for problem in error.errors():
            click.echo(f"problem  settings: {problem['msg'].removeprefix('Value error, ')}")
        sys.exit(1)
    findings = run_checks(settings)
    for finding in findings:
        click.echo(str(finding))
    problems = sum(finding.verdict == Verdict.PROBLEM for finding in findings)
    warnings = sum(finding.verdict == Verdict.WARNING for finding in findings)
    click.echo(f"{_count(problems, 'problem')}, {_count(warnings, 'warning')}.")
    if problems:
        sys.exit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@main.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True, help="The admin's full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin(email: str, name: str, password_stdin: bool) -> None:
    """Create an admin account (the first one cannot come from anywhere else)."""
    from app.accounts import service as accounts_service
    from app.accounts.models import Role
    from app.core import email_address, passwords

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        email = email_address.checked(email)
    except email_address.AddressRefused as refused:
        click.echo(f"error: {refused}.", err=True)
        sys.exit(1)
    if problem := passwords.problem(password, email=email, name=name):
        click.echo(f"error: {problem}.", err=True)
        sys.exit(1)
    settings = Settings()
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        try:
            accounts_service.create_staff(
                session,
                settings,
                email=email,
                full_name=name,
                role=Role.ADMIN,
                actor=None,
                password=password,
                language=settings.default_language,
            )
        except accounts_service.AccountExists:
            click.echo(f"error: an account for {email} exists already.", err=True)
            sys.exit(1)
        session.commit()
    engine.dispose()
    click.echo(f"Admin {email} created. Log in at {settings.base_url}/login")


@main.command("reset-second-factor")
@click.argument("email")
def reset_second_factor(email: str) -> None:
    """Remove a staff member's two-step login, e.g. when the last admin lost device and codes."""
    from app.accounts import second_factor
    from app.accounts import service as accounts_service

    engine = make_engine(Settings().database_url)
    with make_session_factory(engine)() as session:
        user = accounts_service.find_by_email(session, email)
        if user is None:
            click.echo(f"error: there is no account for {email}.", err=True)
            sys.exit(1)
        removed = second_factor.disable(
            session, user, actor=None, ip="", reason="reset from the command line"
        )
        session.commit()
    engine.dispose()
    click.echo(f"Two-step login of {email} removed." if removed else f"{email} had no two-step login.")
