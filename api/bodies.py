"""Request bodies, read within a limit: refused as soon as they pass it, never read further.

Starlette's ``request.body()`` reads a whole body before a handler can look at it, however large: a 300 MB form took
a worker from 211 to 683 MB before it was cut to size. Every route that reads a body reads it here, as it arrives; a
``Content-Length`` past the limit is refused before anything is read.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

# The most a moderator's decision (a reason, a record to merge into, an answer) may take.
DECISION_BYTES = 64 * 1024


class BodyTooLargeError(Exception):
    """The body is longer than ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request is larger than {limit:,} bytes, the most this takes.")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or ``BodyTooLargeError`` once it passes ``limit`` bytes (or says it will)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError(limit)
    return bytes(body)


async def read_json(request: Request, limit: int = DECISION_BYTES) -> Any:
    """The body read as JSON (``None`` for an empty body); ``ValueError`` if it is not JSON, ``BodyTooLargeError``
    past ``limit``."""
    body = await read_body(request, limit)
    try:
        return json.loads(body) if body.strip() else None
    except RecursionError:  # arrays nested thousands deep
        raise ValueError("nested too deeply") from None
