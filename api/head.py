"""``HEAD`` wherever ``GET`` is served, as HTTP requires (RFC 9110, 9.3.2): link checkers, ``curl -I`` and
catalogue harvesters checking a download use it. FastAPI routes only the methods a route declares, so every ``GET``
route answered ``HEAD`` with 405.

A plain ASGI middleware: the request goes on as a ``GET``, so the status and headers (``Content-Length``, ``ETag``,
``Link``, a 304 for a matching ``If-None-Match``) are the ``GET``'s own, and the body is dropped. The answer is sent
as soon as its headers are, and whatever the route still streams after is discarded, unsent.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.start":
                await send(message)
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, without_body)
