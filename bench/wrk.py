"""Run wrk against one address and read its requests per second, p99 and errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
INSTALL_HINT = "wrk is missing: install Debian's package with `apt-get install -y -qq wrk`."


@dataclass(frozen=True)
class Run:
    requests_per_second: float
    p99_ms: float
    errors: int


def available() -> bool:
    """Say whether wrk is on the PATH."""
    return shutil.which("wrk") is not None


def run(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> Run:
    """Load `url` for `seconds` with `connections` and two threads; return what wrk measured."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    return parse(output)


def parse(output: str) -> Run:
    """Read wrk's report."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\b", output, re.MULTILINE)
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    broken = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if not rate or not p99:
        raise RuntimeError(f"wrk gave no numbers:\n{output}")
    errors = int(failed.group(1)) if failed else 0
    errors += sum(int(n) for n in broken.groups()) if broken else 0
    return Run(float(rate.group(1)), float(p99.group(1)) * UNITS[p99.group(2)], errors)
