"""Start the portal and the baseline as separate server processes, wait for them, read their memory."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTAL = ROOT / ".venv" / "bin" / "portal"
WORKERS = 2


@contextmanager
def serving(
    command: list[str], env: dict[str, str], port: int, *, timeout: float = 180
) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """Run a server until the block ends; yield it and the seconds it took to answer its first request."""
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield process, _wait_for(port, process, timeout) - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def portal(port: int) -> list[str]:
    """The command that serves the portal in production mode."""
    return [str(PORTAL), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)]


def raw_asgi(port: int) -> list[str]:
    """The command that serves the in-memory baseline on the same uvicorn."""
    return _uvicorn("bench.raw_asgi:app", port)


def stack_floor(port: int) -> list[str]:
    """The command that serves the stack's floor (bench/stack_floor.py) as `portal serve` serves
    the portal: no server header, no WebSockets."""
    return _uvicorn("bench.stack_floor:app", port, "--no-server-header", "--ws", "none")


def _uvicorn(target: str, port: int, *options: str) -> list[str]:
    return [
        sys.executable,
        *("-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)),
        *("--workers", str(WORKERS), "--no-access-log", "--log-level", "warning", *options),
    ]


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 180) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server on port {port} stopped: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status < 500:
                return time.monotonic()
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server on port {port} did not answer within {timeout:g} s")


def worker_rss_mb(process: subprocess.Popen[bytes]) -> list[float]:
    """The resident memory of each worker process the server started."""
    sizes = []
    for pid in worker_pids(process):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def worker_pss_mb(process: subprocess.Popen[bytes]) -> list[float]:
    """Each worker's proportional memory: its own pages, plus its share of those held with others
    (forked workers share the app's modules with the server process and each other)."""
    sizes = []
    for pid in worker_pids(process):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def worker_pids(process: subprocess.Popen[bytes]) -> list[int]:
    """The worker processes the server started (not multiprocessing's resource tracker)."""
    return [pid for pid in children(process.pid) if _is_worker(pid)]


def _is_worker(pid: int) -> bool:
    # A spawned worker runs multiprocessing's `spawn_main`; a forked one shares the server's command line.
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    return b"spawn_main" in cmdline or b"resource_tracker" not in cmdline


def children(pid: int) -> list[int]:
    """The processes `pid` started."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def environment(**values: str) -> dict[str, str]:
    """This process's environment with `values` on top."""
    return {**os.environ, **values}
