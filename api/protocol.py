"""uvicorn's HTTP/1.1 protocol with deadlines for a request's headers and for its body.

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

from uvicorn.protocols.http.h11_impl import H11Protocol

from graph.settings import Settings


@cache
def _deadlines() -> tuple[float, float]:
    settings = Settings.from_env()
    return settings.header_timeout_s, settings.body_timeout_s


class TimedH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_seconds, self._body_seconds = _deadlines()
        self._deadline: asyncio.TimerHandle | None = None
        self._timed_cycle: object = None  # the request whose body the deadline is for

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn's H11Protocol narrows it too
        super().connection_made(transport)
        self._arm(self._header_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        between_requests = self.cycle is None or self.cycle.response_complete
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._timed_cycle and not self.cycle.response_complete:
            self._timed_cycle = self.cycle  # its headers are in: now its body is timed
            self._arm(self._body_seconds)
        elif between_requests and self._deadline is None and not self.transport.is_closing():
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
