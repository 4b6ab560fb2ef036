"""Who may do what: bearer tokens to accounts and roles, each writer's allowance, and the bounded bodies they send."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.bodies import BodyTooLargeError, read_body, read_json
from api.dependencies import AppServices
from api.errors import ProblemError
from graph.contributions.accounts import Role, accounts_query, authenticate


async def account(request: Request, services: AppServices) -> tuple[str, Role] | None:
    """The account behind the request's bearer token; ``None`` without one; refused if the token is wrong."""
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(401, "Send the token as: Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"})
    rows = await services.staging.solutions(accounts_query(services.identity))
    found = authenticate(rows, token.strip())
    if found is None:
        raise ProblemError(401, "This token is not valid, or was revoked.", {"WWW-Authenticate": "Bearer"})
    return found


async def moderator(request: Request, services: AppServices) -> str:
    """The moderator's account IRI, or refused: 401 without a valid token, 403 for a submitter's."""
    found = await account(request, services)
    if found is None:
        raise ProblemError(401, "Moderators only: send a moderator's token.", {"WWW-Authenticate": "Bearer"})
    if found[1] is not Role.MODERATOR:
        raise ProblemError(403, "This account may submit, not moderate.")
    return found[0]


async def moderating(request: Request, services: AppServices) -> str:
    """A moderator's decision (approve, reject, withdraw, merge, redact, answer): their account IRI, refused as
    ``moderator`` refuses, and counted against their allowance."""
    found = await moderator(request, services)
    await counted(request, services, (found, Role.MODERATOR))
    return found


async def counted(request: Request, services: AppServices, sender: tuple[str, Role] | None, weight: float = 1) -> None:
    """Count a write (``weight`` of them, for a large one) against its sender's allowance: an account's (ten times as
    large) when it sent a token, else its address's; refused with 429 and Retry-After past it."""
    limiter = services.trusted_fair_use if sender else services.submission_fair_use
    who = sender[0] if sender else (request.client.host if request.client else "unknown")
    if wait := limiter.wait_seconds(who, weight):
        raise ProblemError(
            429, f"Too many changes sent from this client: try again in {wait} s.", {"Retry-After": str(wait)}
        )


async def limited_body(request: Request, limit: int, too_large: str | None = None) -> bytes:
    """The body, refused with 413 (``too_large``, or a plain statement of the limit) as soon as it passes ``limit``."""
    try:
        return await read_body(request, limit)
    except BodyTooLargeError as refused:
        raise ProblemError(413, too_large or str(refused)) from None


async def decision(request: Request) -> Any:
    """A moderator's decision, sent as JSON (``None`` if it is not JSON), refused with 413 past its size."""
    try:
        return await read_json(request)
    except BodyTooLargeError as refused:
        raise ProblemError(413, str(refused)) from None
    except ValueError:
        return None
