"""Run the real `portal` command in a subprocess, for tests of processes, signals and proxies."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
PORTAL = Path(sys.executable).with_name("portal")
# The test settings' cheap password hashing, as the subprocess reads it.
FAST_HASHING_ENV = {
    "PORTAL_ARGON2_TIME_COST": "1",
    "PORTAL_ARGON2_MEMORY_KIB": "8",
    "PORTAL_ARGON2_PARALLELISM": "1",
}


def require(path: str, *, what: str) -> None:
    """Skip when `path` is missing, with the reason; fail in CI, which must test it."""
    if Path(path).exists():
        return
    if IN_CI:
        pytest.fail(f"CI=true but {path} is missing: {what} must be tested (.ci/run installs it)")
    pytest.skip(f"{path} is missing: {what} not tested (apt-get install nginx)")


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def portal_env(tmp: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `portal` subprocess: test settings, its own files, no .env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(FAST_HASHING_ENV)
    env.update(
        PORTAL_ENV="test",
        PORTAL_DATABASE_URL=database_url,
        PORTAL_UPLOAD_DIR=str(tmp / "uploads"),
        PORTAL_MEDIA_DIR=str(tmp / "media"),
        PORTAL_LOG_LEVEL="WARNING",
        PORTAL_LANGUAGES="en",  # as the in-process tests: addresses without a language prefix
    )
    env.update(settings)
    return env


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until `port` answers /healthz, or fail with what the process said."""
    # Generous: on a busy 2-core machine, importing the app in two workers takes seconds.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing answered on port {port} within {timeout} s")


@contextmanager
def portal_serve(
    env: dict[str, str], *, port: int, workers: int = 2, cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `portal serve` until the block ends, then stop it as an operator would (SIGTERM)."""
    command = [str(PORTAL), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        wait_for_port(port, process)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group and wait; SIGKILL what is still there after a few seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.stderr:
        process.stderr.close()


class Browser:
    """Just enough of a browser: cookies, the CSRF token of the last form, no redirects."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def fetch(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return response.status, response.read().decode()

    def form_token(self, path: str) -> str:
        _, html = self.fetch("GET", path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, f"no form at {path}"
        return found.group(1)

    def post(self, path: str, fields: dict[str, str]) -> int:
        return self.fetch("POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded")[0]
