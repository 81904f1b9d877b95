"""deploy/nginx/portal-proxy.conf, run by Debian's nginx in front of `portal serve --workers 2`.

One `portal serve` serves the whole module (starting one costs seconds of imports); the last
test stops it with SIGTERM, so it must stay the last.
"""

from __future__ import annotations

import http.client
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.contact.models import ContactMessage
from app.core.config import PROJECT_ROOT, Settings
from tests import factories
from tests.conftest import FAST_HASHING
from tests.live import free_port, portal_env, portal_serve, require, wait_for_port

pytestmark = pytest.mark.nginx

NGINX = "/usr/sbin/nginx"
PROXY_CONF = PROJECT_ROOT / "deploy" / "nginx" / "portal-proxy.conf"
SLOW_CLIENT_DIRECTIVES = ("client_header_timeout", "client_body_timeout", "send_timeout")
FORM_TYPE = "Content-Type: application/x-www-form-urlencoded\r\n"
CUT_AFTER = 1  # seconds, for nginx's slow-client timeouts here
# The app's own body timeout: after nginx's, and with room for the pauses of the SIGTERM test.
APP_CUT_AFTER = 2


@dataclass
class Stack:
    database_url: str
    app_port: int
    proxy_port: int
    server: subprocess.Popen[bytes]


def nginx_conf(prefix: Path, *, app_port: int, proxy_port: int) -> Path:
    """A main nginx.conf around the shipped proxy file, with its timeouts cut to CUT_AFTER."""
    shipped = PROXY_CONF.read_text()
    for directive in SLOW_CLIENT_DIRECTIVES:
        assert re.search(rf"^{directive} \S+;", shipped, re.M), f"{directive} missing from {PROXY_CONF.name}"
    fast = re.sub(rf"^({'|'.join(SLOW_CLIENT_DIRECTIVES)}) \S+;", rf"\1 {CUT_AFTER}s;", shipped, flags=re.M)
    (prefix / "portal-proxy.conf").write_text(fast)
    temp = " ".join(
        f"{kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"user root root; worker_processes 1; pid {prefix / 'nginx.pid'}; error_log {prefix / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log off; {temp}\n"
        f"  upstream portal {{ server 127.0.0.1:{app_port}; }}\n"
        f"  server {{ listen 127.0.0.1:{proxy_port}; server_name 127.0.0.1;\n"
        f"    include {prefix / 'portal-proxy.conf'}; }}\n}}\n"
    )
    return conf


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Stack]:
    require(NGINX, what="the reverse-proxy example")
    tmp = tmp_path_factory.mktemp("proxy")
    shutil.copyfile(sqlite_template, tmp / "portal.db")
    database_url = f"sqlite:///{tmp / 'portal.db'}"
    app_port, proxy_port = free_port(), free_port()
    env = portal_env(
        tmp,
        database_url,
        PORTAL_BASE_URL=f"http://127.0.0.1:{proxy_port}",
        PORTAL_TRUSTED_PROXIES="127.0.0.1",
        PORTAL_BODY_TIMEOUT_SECONDS=str(APP_CUT_AFTER),
    )
    conf = nginx_conf(tmp, app_port=app_port, proxy_port=proxy_port)
    with portal_serve(env, port=app_port, cwd=tmp) as server:
        nginx = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"], stderr=subprocess.PIPE
        )
        try:
            wait_for_port(proxy_port, nginx)
            yield Stack(database_url, app_port, proxy_port, server)
        finally:
            nginx.terminate()
            nginx.wait(timeout=5)


def get(port: int, path: str, *, source: str = "127.0.0.1", headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    connection.request("GET", path, headers=headers or {})
    return connection.getresponse()


def form_cookie(port: int, path: str, *, source: str = "127.0.0.1") -> tuple[str, str]:
    """The flash cookie and CSRF token a browser gets with the form at `path`."""
    page = get(port, path, source=source)
    cookie = page.getheader("Set-Cookie", "").split(";")[0]
    field = BeautifulSoup(page.read(), "html.parser").select_one('input[name="csrf_token"]')
    assert field is not None
    return cookie, str(field["value"])


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and how long that took."""
    started, received = time.monotonic(), b""
    sock.settimeout(limit)
    while chunk := sock.recv(4096):
        received += chunk
    return received, time.monotonic() - started


def test_a_page_comes_through_nginx_from_the_app(stack: Stack) -> None:
    response = get(stack.proxy_port, "/")
    assert response.status == 200
    assert response.getheader("X-Request-ID")
    assert "Portico" in response.read().decode()


def test_the_client_address_is_the_one_nginx_saw_never_one_the_client_wrote(stack: Stack) -> None:
    settings = Settings(  # type: ignore[call-arg]
        env="test", database_url=stack.database_url, languages="en", _env_file=None, **FAST_HASHING
    )
    engine = create_engine(stack.database_url)
    with Session(engine) as db:
        email = factories.staff(db, settings).email
    cookie, token = form_cookie(stack.proxy_port, "/login", source="127.0.0.2")
    form = {"csrf_token": token, "email": email, "password": factories.PASSWORD}
    connection = http.client.HTTPConnection(
        "127.0.0.1", stack.proxy_port, timeout=5, source_address=("127.0.0.2", 0)
    )
    headers = {
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": "10.9.9.9",
    }
    connection.request("POST", "/login", body=urlencode(form), headers=headers)
    assert connection.getresponse().status == 303
    with Session(engine) as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "account.login")).one()
    engine.dispose()
    assert event.ip == "127.0.0.2"


def test_a_client_sending_its_headers_slowly_is_cut_by_nginx(stack: Stack) -> None:
    with socket.create_connection(("127.0.0.1", stack.proxy_port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        received, waited = read_until_closed(sock, limit=CUT_AFTER + 3)
    assert b"200 OK" not in received
    assert waited < CUT_AFTER + 2


def test_a_body_that_never_finishes_is_cut_by_nginx_before_the_app_sees_it(stack: Stack) -> None:
    with socket.create_connection(("127.0.0.1", stack.proxy_port)) as sock:
        sock.sendall(b"POST /contact HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nname=A")
        received, waited = read_until_closed(sock, limit=CUT_AFTER + 3)
    assert b"HTTP/1.1 2" not in received and b"HTTP/1.1 5" not in received
    assert waited < CUT_AFTER + 2


def test_the_app_itself_answers_408_to_a_body_that_never_finishes(stack: Stack) -> None:
    cookie, token = form_cookie(stack.app_port, "/contact")
    head = f"POST /contact HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nContent-Length: 1000\r\n"
    with socket.create_connection(("127.0.0.1", stack.app_port)) as sock:
        sock.sendall(
            head.encode()
            + b"Content-Type: application/x-www-form-urlencoded\r\n\r\ncsrf_token="
            + token.encode()
        )
        received, waited = read_until_closed(sock, limit=APP_CUT_AFTER + 3)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert waited < APP_CUT_AFTER + 2


def test_a_request_in_flight_completes_after_sigterm(stack: Stack) -> None:
    """The module's server is stopped here: this test stays the module's last."""
    port, server = stack.app_port, stack.server
    subject = "Still there after SIGTERM?"
    cookie, token = form_cookie(port, "/contact")
    fields = {"csrf_token": token, "name": "Ada", "email": "ada@example.org", "subject": subject}
    body = urlencode({**fields, "message": "Still there?", "consent": "on"}).encode()
    head = f"POST /contact HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n{FORM_TYPE}"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
        time.sleep(0.3)  # the request is in a worker, waiting for the rest of its body
        server.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        sock.sendall(body[5:])
        received, _ = read_until_closed(sock, limit=5)
    server.wait(timeout=10)
    assert received.startswith(b"HTTP/1.1 303 ")
    engine = create_engine(stack.database_url)
    with Session(engine) as db:
        stored = db.scalars(select(ContactMessage.subject).where(ContactMessage.subject == subject)).all()
        assert stored == [subject]
    engine.dispose()
