"""Moderators withdraw a record, or merge it into another; its URI then answers 410 Gone or redirects."""

from __future__ import annotations

from datetime import UTC, datetime

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api import access
from api.dependencies import AppServices, Services
from api.errors import JSON_PROBLEMS, ProblemError
from api.paths import ClassPath, KeyPath, PersonKeyPath
from api.responses import JSON, MODERATORS, STORE, WRITES, documented, fields, problem
from api.services.approval import created_times, latest_versions
from api.services.page_queries import graph_has_statements
from graph.contributions.history import INITIAL, keep_version
from graph.contributions.redaction import REASON, purge_update, subjects_query
from graph.contributions.withdrawal import Ending, end_transaction
from graph.rdf.identity import KEY_PATTERN, UriClass, checked_class
from graph.store.transaction import Transaction

router = APIRouter(tags=["Contributions"], dependencies=[JSON_PROBLEMS])


async def _exists(services: AppServices, record: str) -> bool:
    rows = await services.public.solutions(graph_has_statements(record))
    return bool(rows)


async def _end(request: Request, services: AppServices, uri_class: str, key: str, ending: Ending) -> Response:
    moderator = await access.moderating(request, services)
    cls = checked_class(uri_class, key)
    if cls is None:
        raise ProblemError(404, "There is no such record.")
    record = services.identity.record_graph(cls, key)
    asked = await access.decision(request)
    if not isinstance(asked, dict):
        raise ProblemError(400, 'Send JSON such as {"reason": "…"}.')
    reason = asked.get("reason") if isinstance(asked, dict) else None
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ProblemError(400, "Say why, in a reason that the record's page will show.")
    if not await _exists(services, record):
        raise ProblemError(404, "There is no such published record.")
    survivor = None
    if ending is Ending.MERGED:
        named = asked.get("into")
        into = named if isinstance(named, str) else ""
        ref = services.identity.parse(into if into.startswith("http") else services.identity.resolve(into.lstrip("/")))
        if ref is None or ref.space != "id" or ref.uri_class != uri_class or ref.key == key:
            raise ProblemError(
                400, f'Name the surviving {uri_class} by its URI, e.g. {{"into": "id/{uri_class}/its-key"}}.'
            )
        if not await _exists(services, services.identity.record_graph(ref.uri_class, ref.key)):
            raise ProblemError(400, f"{into} has no published record to merge into.")
        survivor = services.identity.thing(ref.uri_class, ref.key)
    created = (await created_times(services, [record])).get(record)
    if not await latest_versions(services, [record]):  # keep the last published state in the history
        current = await services.public.named_graph(record)
        history = Transaction()
        first = created or datetime.now(UTC)
        keep_version(
            services.identity, history, record, current, key=INITIAL, generated=first, submission=None, revises=None
        )
        await services.staging.update(history.as_update())
    public = end_transaction(
        services.identity, record, ending, reason=reason, moderator=moderator, created=created, survivor=survivor
    )
    await services.public.update(public.as_update())
    return JSONResponse({"record": record, "status": str(ending), "survivor": survivor})


ENDING = documented(
    MODERATORS,
    WRITES,
    {
        400: problem("No reason given, or no published record of the same class to merge into"),
        404: problem("There is no such published record"),
    },
    STORE,
)


@router.post(
    "/records/{uri_class}/{key}/withdraw",
    summary="Withdraw a published record, with a reason (moderators)",
    openapi_extra=fields(JSON, {"reason": "The organisation closed in 2024."}),
    responses=ENDING,
)
async def withdraw(uri_class: ClassPath, key: KeyPath, request: Request, services: Services) -> Response:
    return await _end(request, services, uri_class, key, Ending.WITHDRAWN)


@router.post(
    "/records/{uri_class}/{key}/merge",
    summary="Merge a published record into another (moderators)",
    openapi_extra=fields(JSON, {"reason": "The same organisation, recorded twice.", "into": "id/organisation/odi"}),
    responses=ENDING,
)
async def merge(uri_class: ClassPath, key: KeyPath, request: Request, services: Services) -> Response:
    return await _end(request, services, uri_class, key, Ending.MERGED)


def _personal(services: AppServices, iri: str) -> bool:
    ref = services.identity.parse(iri)
    return ref is not None and ref.space == "id" and ref.uri_class in (UriClass.PERSON, UriClass.POST)


@router.post(
    "/records/person/{key}/redact",
    summary="Remove a person from the map and from its history, at their request (moderators, UK GDPR)",
    responses=documented(
        MODERATORS, WRITES, {404: problem("There is no such person on the map or in its history")}, STORE
    ),
)
async def redact(key: PersonKeyPath, request: Request, services: Services) -> Response:
    moderator = await access.moderating(request, services)
    if not KEY_PATTERN.match(key):
        raise ProblemError(404, "There is no such record.")
    record = services.identity.record_graph(UriClass.PERSON, key)
    public_nodes = await services.public.solutions(subjects_query(record, in_history=False))
    kept_nodes = await services.staging.solutions(subjects_query(record, in_history=True))
    nodes = sorted(  # the person and their posts, never shared things such as the sources they cite
        {
            row["s"].value
            for row in [*public_nodes, *kept_nodes]
            if isinstance(row["s"], ox.NamedNode) and _personal(services, row["s"].value)
        }
    )
    if not nodes:
        raise ProblemError(404, "There is no such person on the map or in its history.")
    purge = purge_update(nodes, record, services.identity.metadata_graph, services.identity.resolve("def/ecosystem/"))
    await services.staging.update(purge)
    ended = end_transaction(
        services.identity, record, Ending.WITHDRAWN, reason=REASON, moderator=moderator, created=None
    )
    await services.public.update(purge + " ;\n" + ended.as_update())
    return JSONResponse({"record": record, "status": str(Ending.WITHDRAWN), "removed": len(nodes)})
