"""``POST /suggest``: the concepts a description is about, ranked per scheme with their evidence.

A suggestion is only an answer to the caller: nothing is written to any store, and the form and the moderation
view show suggestions as suggestions. The model and the concepts' texts are in ``graph.matching.suggestions``.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.bodies import BodyTooLargeError, read_body
from api.dependencies import Services
from api.errors import JSON_PROBLEMS, ProblemError
from api.responses import STORE, documented, problem
from graph.matching.suggestions import MAX_TEXT, SuggestionError

router = APIRouter(tags=["Suggestions"], dependencies=[JSON_PROBLEMS])
# A JSON body holding the longest text worth comparing, every character escaped (``\\ud83d\\ude00``: 12 bytes).
BODY_LIMIT = 12 * MAX_TEXT + 1024
MOST_PER_SCHEME = 20

REQUEST_EXAMPLE = {"text": "A free online course that teaches analysts data science and statistics.", "per_scheme": 3}


class RequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _asked(request: Request) -> tuple[str, int]:
    """The text and how many concepts per scheme, or a ``RequestError`` saying what is wrong with the body."""
    try:
        body = await read_body(request, BODY_LIMIT)
    except BodyTooLargeError:
        raise RequestError(413, f"The request is larger than {BODY_LIMIT:,} bytes: send one description.") from None
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise RequestError(400, f"The body is not UTF-8 text (byte {problem.start} cannot be read).") from None
    try:
        asked = json.loads(decoded)
    except json.JSONDecodeError as problem:
        message = f"The body is not JSON: {problem.msg} at line {problem.lineno}, column {problem.colno}."
        raise RequestError(400, message) from None
    except (ValueError, RecursionError):  # a number of thousands of digits, arrays nested thousands deep
        raise RequestError(400, 'The body is not the JSON this takes: {"text": "…", "per_scheme": 3}.') from None
    if not isinstance(asked, dict) or not isinstance(asked.get("text"), str):
        raise RequestError(422, 'Send a JSON object with the description as "text", e.g. {"text": "A course…"}.')
    per_scheme = asked.get("per_scheme", 3)
    if not isinstance(per_scheme, int) or isinstance(per_scheme, bool) or not 1 <= per_scheme <= MOST_PER_SCHEME:
        raise RequestError(422, f'"per_scheme" must be a whole number from 1 to {MOST_PER_SCHEME}.')
    return asked["text"], per_scheme


@router.post(
    "/suggest",
    summary="Suggest the priority areas, principles, pillars, missions and topics a description is about",
    description=(
        "JSON in: `text` (the description, up to 20,000 characters) and optionally `per_scheme` (1 to 20, default 3). "
        "JSON out: every subject scheme with its best concepts, each with a score in [0, 1] and its evidence: the "
        "sentence and words that drove it and the closest text the map holds about the concept (its own words, or "
        "an approved activity's description). Suggestions are never recorded."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"example": REQUEST_EXAMPLE}},
        }
    },
    responses=documented(
        {
            400: problem("The body is not UTF-8 or not JSON"),
            413: problem("The body is too large"),
            429: problem("Too many requests from this client (the fair use /sparql has)"),
            422: problem("No text, too long a text, or a bad per_scheme"),
        },
        STORE,
    ),
)
async def suggest(request: Request, services: Services) -> JSONResponse:
    client = request.client.host if request.client else "unknown"
    wait = services.fair_use.wait_seconds(client)
    if wait:
        message = f"Too many requests from {client}: try again in {wait} s."
        raise ProblemError(429, message, {"Retry-After": str(wait)})
    try:
        text, per_scheme = await _asked(request)
        suggester = await services.suggester.get()
        answer: dict[str, Any] = await anyio.to_thread.run_sync(lambda: suggester.suggest(text, per_scheme))
    except RequestError as problem:
        raise ProblemError(problem.status, str(problem)) from None
    except SuggestionError as problem:
        raise ProblemError(422, str(problem)) from None
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})
