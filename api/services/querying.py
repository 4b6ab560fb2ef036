"""Running a client's SPARQL query, as ``/sparql`` and the saved queries do: fair use, inspection, a format chosen by
``format=`` or ``Accept``, one answer kept per data version, the time limit and the result cap; the answer streams."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial

import anyio
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from api import formats
from api.answers import not_modified
from api.conneg import choose
from api.dependencies import AppServices
from api.errors import ProblemError
from api.inspection import Form, Inspection, QueryRejectedError, Rules, inspect
from api.limits import Cap, ResultCapError
from graph.store.interface import Answer, Dataset, StoreError
from graph.store.protocol import QueryStoppedError, StoreLostError

# Functions whose value is not fixed by the data: a query using them is answered afresh every time.
NONDETERMINISTIC = re.compile(r"\b(NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)
INLINE_CHECK = 1000  # characters


@dataclass(frozen=True)
class Asker:
    """What of a request its query's answer depends on: who asks (for fair use and penalties), the media types they
    accept, and the answer they already hold."""

    client: str
    accept: str | None = None
    if_none_match: str | None = None

    @classmethod
    def of(cls, request: Request) -> Asker:
        return cls(
            request.client.host if request.client else "unknown",
            request.headers.get("accept"),
            request.headers.get("if-none-match"),
        )


async def run_query(
    asker: Asker,
    services: AppServices,
    query: str,
    default: list[str],
    named: list[str],
    format_name: str | None,
    *,
    own_form: Form | None = None,
) -> Response:
    """Run a read-only query for a client, as /sparql does: fair use, inspection, a format chosen by ``format=``
    or Accept, the time limit and the result cap; the answer streams. ``own_form`` is the form of a query ecomap
    wrote itself (a saved query with typed parameters), which needs no inspection."""
    settings = services.settings
    client = asker.client
    if held := services.quarantine.client_held(client):
        raise _too_many(
            f"A query from {client} took the store down (it crashed, or had to be restarted to stop a query past the "
            f"time limit): this endpoint answers its queries again in {held} s.",
            held,
        )
    if wait := services.fair_use.wait_seconds(client):
        raise _too_many(
            f"Too many queries from {client}: this endpoint answers {settings.queries_per_minute} a minute "
            f"from each client. Try again in {wait} s.",
            wait,
        )
    # The answer depends only on the public data: one per data version (api/answers.py). A kept answer is found
    # by the request as sent, before the query is checked again: a query is kept only once it has passed.
    versions = services.versions
    version = await versions.current()
    key = versions.key(version, format_name or "", asker.accept or "", query, *default, "named", *named)
    tag = versions.tag(key)
    if (cached := versions.cache.get(key)) is not None:
        if not_modified(asker.if_none_match, key):
            return Response(status_code=304, headers={**cached.headers, "ETag": tag})
        return Response(cached.body, headers={**cached.headers, "ETag": tag, "Ecomap-Cache": "hit"})
    if own_form is not None:
        inspection = Inspection(own_form, query)
    else:
        try:
            inspection = await _inspected(query, services)
        except QueryRejectedError as rejected:
            raise ProblemError(rejected.status, rejected.message) from None
        if services.quarantine.text_held(inspection.text):
            raise ProblemError(
                400,
                "This query was in flight when the store crashed, or ran so far past the time limit that the store "
                "had to be restarted to stop it: it is refused for a day. Change it, or write to the operator if it "
                "is harmless.",
            )
    offered = list(formats.RESULTS.values() if inspection.form is Form.SOLUTIONS else formats.GRAPHS.values())
    if format_name:
        # A name or media type, or (as SPARQLWrapper sends) several media types separated by commas.
        asked = (media_type for part in format_name.split(",") for media_type in formats.candidates(part.split(";")[0]))
        chosen = next((media_type for media_type in asked if media_type in offered), None)
        if chosen is None:
            raise ProblemError(
                400, f"format={format_name} does not suit this query: use one of {', '.join(formats.names(offered))}."
            )
    else:
        chosen = choose(formats.read_accept(asker.accept, offered), offered)
        if chosen is None:
            raise ProblemError(
                406, f"None of the formats this query can give matches your Accept header: {', '.join(offered)}."
            )
    cap = Cap(chosen, settings.result_cap_rows, settings.result_cap_bytes)
    headers = {"Vary": "Accept", "Ecomap-Result-Cap": f"{cap.rows} rows or {cap.size} bytes"}
    kept = not NONDETERMINISTIC.search(inspection.text)  # NOW(), RAND() and the like are answered afresh
    if kept:
        headers["ETag"] = tag
        if not_modified(asker.if_none_match, key):
            return Response(status_code=304, headers=headers)
    if not default and not named:  # the protocol's dataset wins over the query's own, as the protocol says
        default, named = list(inspection.default_graphs), list(inspection.named_graphs)
    started = time.monotonic()
    convict = None if own_form else partial(services.quarantine.convict, inspection.text, client)
    try:
        dataset = Dataset(tuple(default), tuple(named))
        answer = await services.public.answer(inspection.text, chosen, dataset, trusted=own_form is not None)
    except StoreError as error:
        if convict is not None and _took_the_store_down(error):
            convict()
        if error.status == 400 and not inspection.parsed:  # the store's syntax check: parsed here, for the message
            try:
                await _inspected(query, services, quick=False)
            except QueryRejectedError as rejected:
                raise ProblemError(rejected.status, rejected.message) from None
        raise
    if convict is not None:
        answer.on_overrun.append(convict)
    try:
        cap.check(answer.head)
    except ResultCapError as error:
        await answer.close()
        raise ProblemError(413, error.message) from None
    if answer.rest is None:  # the whole answer has arrived: keep it for this version, if it was worth computing once
        if kept and (time.monotonic() - started) * 1000 >= settings.keep_after_ms:
            stored = {
                "Content-Type": chosen,
                "Vary": headers["Vary"],
                "Ecomap-Result-Cap": headers["Ecomap-Result-Cap"],
            }
            await versions.remember(version, key, answer.head, stored)
            headers["Ecomap-Cache"] = "miss"
        return Response(answer.head, media_type=chosen, headers=headers)
    return StreamingResponse(_streamed(answer, cap, convict), media_type=chosen, headers=headers)


async def _inspected(query: str, services: AppServices, *, quick: bool = True) -> Inspection:
    """The query checked: from its tokens where they suffice and the public store reads nothing but SPARQL queries
    (``quick``), else parsed."""
    settings = services.settings
    endpoint = settings.store_endpoint
    quick = quick and (endpoint is None or endpoint.dialect.reads_only_queries)
    rules = Rules(services.prologue, settings.service_allow_list, settings.query_max_length, quick)
    # A short query is checked in about a millisecond, less than handing it to a thread costs (profiled); a long
    # one, or one that would wait for the parser, goes to a thread so as not to hold the event loop.
    inspection = inspect(query, rules, wait=False) if len(query) <= INLINE_CHECK else None
    if inspection is not None:
        return inspection
    return await anyio.to_thread.run_sync(inspect, query, rules)


def _too_many(message: str, seconds: int) -> ProblemError:
    return ProblemError(429, message, {"Retry-After": str(seconds)})


def _took_the_store_down(error: StoreError) -> bool:
    """Whether the store crashed while it worked on the query, or it ran so long that the server was restarted."""
    return (isinstance(error, StoreLostError) and error.crashed) or (
        isinstance(error, QueryStoppedError) and error.overran
    )


async def _streamed(answer: Answer, cap: Cap, convict: Callable[[], None] | None) -> AsyncIterator[bytes]:
    """The answer, its first bytes already checked; past the cap the stream stops before its final chunk. A client's
    query is convicted if the store crashes while it streams, or falls silent past the time limit."""
    try:
        yield answer.head
        if answer.rest is not None:
            async for chunk in cap.through(answer.rest):
                yield chunk
    except StoreError as error:
        if convict is not None and _took_the_store_down(error):
            convict()
        raise
    finally:
        await answer.close()
