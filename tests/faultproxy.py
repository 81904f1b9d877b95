"""A TCP proxy that the fault tests place between the app and PostgreSQL, Redis or SMTP.

It runs an asyncio loop in a thread of its own and forwards bytes both ways until told to
misbehave: `cut()` drops every open connection, `refuse()` drops new ones as they arrive,
`delay(s)` holds each chunk back, `hang()` accepts and never answers (nothing is forwarded), and
`heal()` goes back to forwarding.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import pytest

CHUNK = 64 * 1024


class FaultProxy:
    """Forward 127.0.0.1:`port` to `target_host`:`target_port`, with faults on demand."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.refusing = False
        self.hanging = False
        self.delay_seconds = 0.0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    def start(self) -> FaultProxy:
        """Listen on a free loopback port and start forwarding."""
        self._thread.start()
        self._server = self._run(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and end the thread."""
        self.cut()
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def cut(self) -> None:
        """Drop every open connection at once, both sides, as a crash or a network cut would."""
        self._run(self._cut())

    def refuse(self) -> None:
        """Drop each new connection as soon as it arrives (open ones carry on until cut)."""
        self.refusing = True

    def hang(self) -> None:
        """Accept new connections and forward nothing either way: a server that never answers."""
        self.hanging = True

    def delay(self, seconds: float) -> None:
        """Hold each chunk back this long before forwarding it."""
        self.delay_seconds = seconds

    def heal(self) -> None:
        """Forward normally again."""
        self.refusing = self.hanging = False
        self.delay_seconds = 0.0

    def _run(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=5)

    async def _cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            client_writer.transport.abort()
            return
        self._writers.add(client_writer)
        if self.hanging:
            await self._swallow(client_reader, client_writer)
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.add(server_writer)
        await asyncio.gather(
            self._pump(client_reader, server_writer),
            self._pump(server_reader, client_writer),
            return_exceptions=True,
        )

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read and drop whatever the client sends until it or a cut closes the connection."""
        while await _read(reader):
            pass
        writer.transport.abort()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await _read(reader):
            if self.hanging:
                continue
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            writer.write(chunk)
            await writer.drain()
        writer.transport.abort()
        self._writers.discard(writer)


async def _read(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.read(CHUNK)
    except OSError:
        return b""


@contextmanager
def fault_proxy(host: str, port: int) -> Iterator[FaultProxy]:
    """A started proxy to host:port, stopped afterwards."""
    proxy = FaultProxy(host, port).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def required_url(variable: str, purpose: str) -> str:
    """The URL of a service a fault test needs: skipped without it, a failure when CI=true."""
    url = os.environ.get(variable, "")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {variable} is not set: {purpose} must be tested")
        pytest.skip(f"{variable} is not set: {purpose} not tested")
    return url
