"""Malware scanners for the tests: the EICAR test file, a command and a clamd speaking INSTREAM."""

from __future__ import annotations

import shlex
import socketserver
import struct
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.eicar_scanner import SIGNATURE

# The standard test string, put together here so that this file is not itself reported.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + SIGNATURE + b"!$H+H*"
SCRIPT = Path(__file__).with_name("eicar_scanner.py")


def command(*, stdin: bool) -> str:
    """A PORTAL_MALWARE_SCANNER running the stand-in, on standard input or on a path."""
    return f"command:{shlex.join([sys.executable, str(SCRIPT), *(['-'] if stdin else [])])}"


class _Clamd(socketserver.StreamRequestHandler):
    """One clamd connection: `zPING` or `zINSTREAM` followed by length-prefixed chunks."""

    server: FakeClamd

    def handle(self) -> None:
        command = b""
        while not command.endswith(b"\0"):
            byte = self.rfile.read(1)
            if not byte:
                return
            command += byte
        if command == b"zPING\0":
            self.wfile.write(b"PONG\0")
        elif command == b"zINSTREAM\0":
            data = b""
            while size := struct.unpack("!L", self.rfile.read(4))[0]:
                data += self.rfile.read(size)
            self.server.scanned.append(data)
            self.wfile.write(b"stream: Eicar-Signature FOUND\0" if SIGNATURE in data else b"stream: OK\0")
        else:
            self.wfile.write(b"UNKNOWN COMMAND\0")


class FakeClamd(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path) -> None:
        super().__init__(str(path), _Clamd)
        self.scanned: list[bytes] = []


@contextmanager
def fake_clamd() -> Iterator[tuple[str, FakeClamd]]:
    """Serve a clamd on a UNIX socket; yield its PORTAL_MALWARE_SCANNER setting and the server."""
    with tempfile.TemporaryDirectory(prefix="clamd-") as folder:  # short: socket paths are limited
        path = Path(folder) / "clamd.ctl"
        server = FakeClamd(path)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"clamd://{path}", server
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
