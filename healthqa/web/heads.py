"""A deadline and a size limit for each request's head, which uvicorn does not have.

uvicorn (0.55, httptools) waits for a request's line and headers for as long as the client
takes, and reads headers of any size: half a head holds a connection open for ever. This
protocol closes a connection whose head is not complete `request_read_timeout` seconds after it
began (the same setting as for bodies, healthqa/web/limits.py), and answers a head over
HEAD_BYTES with 400. Imported only where httptools is installed (healthqa/web/server.py).
"""

from __future__ import annotations

import asyncio
import functools

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from healthqa import config

HEAD_BYTES = 64 * 1024


@functools.cache
def head_seconds() -> float:
    """The deadline, read once per worker process from the settings (0: none)."""
    return float(config.load()["request_read_timeout"])


class HeadTooLarge(Exception):
    """Raised inside the parser: httptools reports it as a parse error, answered 400."""


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the head's deadline and size limit."""

    _head_timer: asyncio.TimerHandle | None = None
    _head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_head()  # a connection that sends nothing is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_done()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        if self._head_timer is None:
            self._expect_head()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_done()
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > HEAD_BYTES:
            raise HeadTooLarge(f"the request's head is over {HEAD_BYTES:,} bytes")

    def _expect_head(self) -> None:
        seconds = head_seconds()
        if seconds > 0:
            self._head_timer = self.loop.call_later(seconds, self._head_too_slow)

    def _head_done(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()
