"""``Cache-Control`` on every answer, decided in one place, so that browsers and shared caches keep what may be kept
and nothing private.

- the app's own assets (``/static/``): a day;
- a permanent or a see-other redirect (``/id/…`` to ``/doc/…``): an hour, as a Cool URI's redirect does not change;
- any other ``GET`` answer of the public map: ``public, no-cache``, kept but checked each time against its ``ETag``,
  which names the data version (``api/answers.py``): the map changes with every approval, and a ``304`` is cheap;
- what is private (a request with a token, a submission's status at its private link, moderators' and people's
  requests), every answer to a write, and every error: ``no-store``.

A route that says otherwise keeps its own (``/suggestions``: ``no-store``).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE_PATHS = ("/submissions", "/requests", "/records/")
ASSETS = "/static/"
DAY, HOUR = 86_400, 3_600


def policy(method: str, path: str, private: bool, status: int) -> str:
    if method not in ("GET", "HEAD") or private or path.startswith(PRIVATE_PATHS) or status >= 400:
        return "no-store"
    if path.startswith(ASSETS):
        return f"public, max-age={DAY}"
    if status in (301, 303, 308):
        return f"public, max-age={HOUR}"
    return "public, no-cache"


class CacheControl:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = any(name == b"authorization" for name, _ in scope["headers"])

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Cache-Control", policy(scope["method"], scope["path"], private, message["status"]))
            await send(message)

        await self.app(scope, receive, with_policy)
