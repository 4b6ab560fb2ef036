"""The headers every answer gets, each kind decided in one place: what a page may run and who may frame it
(:func:`secure`), how it may be cached (:func:`cache_policy`), and the entity tag of a compressed answer
(``api.entity_tags.encoded``).

One plain ASGI middleware (:class:`ResponseHeaders`) sets them all as a response starts, so that a stream cut off
part-way (a stopped or capped query) still reaches the client cut off; one wrapper of ``send`` rather than one a
kind, as each costs every request.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.entity_tags import encoded


class ResponseHeaders:
    """Outside the compression, which sets ``Content-Encoding`` as the answer starts: a gzipped answer's strong
    ``ETag`` names its encoding. The body goes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def edited(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                secure(scope, headers)
                private = any(name == b"authorization" for name, _ in scope["headers"])
                # A route that says otherwise keeps its own policy (/suggestions: no-store).
                headers.setdefault(
                    "Cache-Control", cache_policy(scope["method"], scope["path"], private, message["status"])
                )
                encoded(headers)
            await send(message)

        await self.app(scope, receive, edited)


def secure(scope: Scope, headers: MutableHeaders) -> None:
    """Pages run only the app's own scripts, cannot be framed, and tell no one where a reader came from."""
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if not headers.get("content-type", "").startswith("text/html"):
        return
    scripts = "'self' 'unsafe-inline'" if scope["path"] == "/docs" else "'self'"  # Swagger UI starts inline
    # Reconciliation previews are shown in an iframe by OpenRefine and other catalogues.
    framed_by = "*" if scope["path"] == "/reconcile/preview" else "'none'"
    headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        f"frame-ancestors {framed_by}"
    )
    headers["Referrer-Policy"] = "same-origin"


PRIVATE_PATHS = ("/submissions", "/requests", "/records/")
ASSETS = "/static/"
DAY, HOUR = 86_400, 3_600


def cache_policy(method: str, path: str, private: bool, status: int) -> str:
    """- the app's own assets (``/static/``): a day;
    - a permanent or see-other redirect (``/id/…`` to ``/doc/…``): an hour, as a Cool URI's redirect does not change;
    - any other ``GET`` answer of the public map: ``public, no-cache``, kept but checked each time against its
      ``ETag``, which names the data version (``api/answers.py``): the map changes with every approval, and a ``304``
      is cheap;
    - what is private (a request with a token, a submission's status at its private link, moderators' and people's
      requests), every answer to a write, and every error: ``no-store``."""
    if method not in ("GET", "HEAD") or private or path.startswith(PRIVATE_PATHS) or status >= 400:
        return "no-store"
    if path.startswith(ASSETS):
        return f"public, max-age={DAY}"
    if status in (301, 303, 308):
        return f"public, max-age={HOUR}"
    return "public, no-cache"
