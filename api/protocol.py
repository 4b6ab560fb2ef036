"""uvicorn's HTTP/1.1 protocol on httptools (llhttp, compiled), with deadlines and a cap on a request's head.

httptools rather than h11: a lookup cost the worker 0.05-0.08 ms less CPU (bench/README.md). But uvicorn's httptools
protocol has no limit on a request's head (it took a 130 MB header line), where h11 stops at 16 KiB: here a head still
incomplete after ``HEAD_LIMIT`` bytes is answered 431 and its connection closed.

uvicorn closes a kept-alive connection that stays idle, but not one that sends a request slowly: 5,000 sockets each
sending half a request stayed open past 25 s, and bodies sent a byte at a time to ``/submit``, ``/submissions`` and
``/sparql`` past 45 s, each holding a connection and its buffers. Here a request's headers must have arrived
``ECOMAP_HEADER_TIMEOUT`` seconds after its first byte (or after the connection opened), and its body
``ECOMAP_BODY_TIMEOUT`` seconds after its headers; otherwise the connection is closed. The application sees a body
cut off that way as a client that went away (``api.observability`` logs it as such, without a stack trace).
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from graph.settings import Settings

# As h11's limit, which uvicorn used before: the request line and headers, up to the blank line after them.
HEAD_LIMIT = 16 * 1024
_TOO_LARGE = b"The request line and headers may take %d KiB, and no more.\n" % (HEAD_LIMIT // 1024)
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_TOO_LARGE), _TOO_LARGE)
)


@cache
def _deadlines() -> tuple[float, float]:
    settings = Settings.from_env()
    return settings.header_timeout_s, settings.body_timeout_s


class TimedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_seconds, self._body_seconds = _deadlines()
        self._deadline: asyncio.TimerHandle | None = None
        self._timed_cycle: object = None  # the request whose body the deadline is for
        self._in_head = False  # a request has begun and its headers have not all arrived
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn's narrows it too
        super().connection_made(transport)
        self._arm(self._header_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        between_requests = self.cycle is None or self.cycle.response_complete
        super().data_received(data)
        if self.transport.is_closing():  # refused by the parser (400)
            return
        if self._in_head:  # what was read holds no end of the head: all of it counts
            self._head_bytes += len(data)
            if self._head_bytes > HEAD_LIMIT:
                self.transport.write(TOO_LARGE)
                self.transport.close()
                return
        if self.cycle is not None and self.cycle is not self._timed_cycle and not self.cycle.response_complete:
            self._timed_cycle = self.cycle  # its headers are in: now its body is timed
            self._arm(self._body_seconds)
        elif between_requests and self._deadline is None:
            self._arm(self._header_seconds)  # the first bytes of the next request on a kept-alive connection
        if self.cycle is not None and not self.cycle.more_body and self._timed_cycle is self.cycle:
            self._disarm()  # the whole body is in

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()
