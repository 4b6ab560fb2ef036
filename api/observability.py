"""For operators: one JSON line per request, with its id and time taken, and its counts in ``api.metrics``, so
that a fault shows before users report it."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.answers import kept_per_version
from api.limits import ResultCapError
from api.metrics import CACHE, LATENCY, REQUESTS
from graph.store.interface import StoreError

# What cuts an answer short once it has begun to stream.
CUT_SHORT = (ResultCapError, StoreError)
# The methods the app serves; any other is counted as "other", so that a made-up method names no new series of
# metrics (5,000 random ones made 5,000, and /metrics 568 KB).
METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS"})
# Routes whose address holds a private key (a submission's status link): the route is logged, not the address.
PRIVATE = re.compile(r"\{status_key\}")
# nginx's status for a request whose client went away before it was answered.
CLIENT_WENT_AWAY = 499
# A request id a client or proxy sends is kept if it is plain, else one is made: it goes into logs and headers.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def access_logger() -> logging.Logger:
    """JSON lines on standard error, each a whole record; the same logger in every worker."""
    logger = logging.getLogger("ecomap.access")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


class Observed:
    """An ASGI middleware: gives each request an id (``X-Request-Id``), counts and times it by route, counts the
    kept answers it was served from, and logs it as one JSON line when its answer ends. Query strings are not
    logged (they may be long queries or personal text), nor any header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = access_logger()

    @staticmethod
    def route(scope: Scope) -> str:
        """A bounded name for what was asked, as metrics' labels must be: the route's template; for the pages kept
        once per data version, which may be answered before routing, their family (``/doc/…``, ``/organisations``),
        kept or made alike."""
        routed = scope.get("route")
        if routed is not None and routed not in scope["app"].state.kept_routes:  # most requests: no regex to run
            return str(routed.path)
        path = scope["path"]
        if kept_per_version(scope["app"], path):
            head, _, rest = path.lstrip("/").partition("/")
            return f"/{head}/…" if rest else f"/{head}"
        return getattr(routed, "path", None) or "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        status, size, cache, begun, ended, cut = 500, 0, "", False, False, ""

        async def observed(message: Message) -> None:
            nonlocal status, size, cache, begun, ended
            if message["type"] == "http.response.start":
                status, begun = message["status"], True
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                cache = headers.get("ecomap-cache", "")
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                ended = True

        async def watched() -> Message:
            """The client's messages. One saying it went away ends a streamed answer quietly (Starlette stops the
            stream, or never starts it), so it is noted here for the log."""
            nonlocal status, cut
            message = await receive()
            if message["type"] == "http.disconnect" and not ended and not cut:
                if begun:
                    cut = "the client went away before its answer had been sent"
                else:
                    status, cut = CLIENT_WENT_AWAY, "the client went away before its answer had begun"
            return message

        try:
            await self.app(scope, watched, observed)
        except (*CUT_SHORT, RuntimeError) as error:
            # Starlette's handlers cannot answer an error they handle once the answer has begun, and raise it again as
            # the cause of a RuntimeError.
            reason = error.__cause__ if isinstance(error, RuntimeError) else error
            if not begun or not isinstance(reason, CUT_SHORT):
                raise
            # An answer stopped on purpose (a cap, the time limit, the store going away) after it began: returning
            # without its last chunk makes uvicorn close the connection, which clients see as an incomplete answer.
            # It is logged below with its reason, not as a stack trace.
            cut = str(reason)
        except ClientDisconnect:
            # The client went away (or was cut off for sending too slowly: api/protocol.py) while its body was read:
            # nobody is left to answer, and it is no fault of the app's.
            status, cut = CLIENT_WENT_AWAY, "the client went away before its request had arrived"
        finally:
            seconds = time.perf_counter() - started
            route = self.route(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            REQUESTS.labels(route, method, str(status)).inc()
            LATENCY.labels(route).observe(seconds)
            if cache in ("hit", "miss"):
                CACHE.labels(cache).inc()
            self.log.info(
                json.dumps(
                    {
                        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "request_id": request_id,
                        "method": method,
                        "path": route if PRIVATE.search(route) else scope["path"],
                        "route": route,
                        "status": status,
                        "bytes": size,
                        "ms": round(seconds * 1000, 1),
                        "client": (scope.get("client") or ("", 0))[0],
                        **({"cut": cut} if cut else {}),
                    }
                )
            )
