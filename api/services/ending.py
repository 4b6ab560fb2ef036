"""Ending a published record: withdrawn (its URI answers 410 Gone), merged into another (it redirects), or a person
redacted at their request (removed from the map and from its history)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyoxigraph as ox

from api.dependencies import AppServices
from api.errors import ProblemError
from api.services.approval import created_times, latest_versions
from api.services.page_queries import graph_has_statements
from graph.contributions.history import INITIAL, keep_version
from graph.contributions.redaction import REASON, purge_update, subjects_query
from graph.contributions.withdrawal import Ending, end_transaction
from graph.rdf.identity import KEY_PATTERN, UriClass, checked_class
from graph.store.transaction import Transaction


async def _exists(services: AppServices, record: str) -> bool:
    return bool(await services.public.solutions(graph_has_statements(record)))


async def _survivor(services: AppServices, uri_class: UriClass, key: str, into: str) -> str:
    """The record ``into`` names, which must be another published record of the same class."""
    ref = services.identity.parse(into if into.startswith("http") else services.identity.resolve(into.lstrip("/")))
    if ref is None or ref.space != "id" or ref.uri_class != uri_class or ref.key == key:
        raise ProblemError(
            400, f'Name the surviving {uri_class} by its URI, e.g. {{"into": "id/{uri_class}/its-key"}}.'
        )
    if not await _exists(services, services.identity.record_graph(ref.uri_class, ref.key)):
        raise ProblemError(400, f"{into} has no published record to merge into.")
    return services.identity.thing(ref.uri_class, ref.key)


def checked_record_class(uri_class: str, key: str) -> UriClass:
    """The class of the record the path names, or 404 if the path can name none (checked before the body is read)."""
    cls = checked_class(uri_class, key)
    if cls is None:
        raise ProblemError(404, "There is no such record.")
    return cls


async def end_record(
    services: AppServices, moderator: str, cls: UriClass, key: str, ending: Ending, reason: str, into: str = ""
) -> dict[str, str | None]:
    """Withdraw the record of class ``cls`` (:func:`checked_record_class`), or merge it into the one ``into`` names;
    its last published state is kept in its history first, if the history does not hold it yet."""
    async with services.turns.turn():
        record = services.identity.record_graph(cls, key)
        if not await _exists(services, record):
            raise ProblemError(404, "There is no such published record.")
        survivor = await _survivor(services, cls, key, into) if ending is Ending.MERGED else None
        created = (await created_times(services, [record])).get(record)
        if not await latest_versions(services, [record]):
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
        return {"record": record, "status": str(ending), "survivor": survivor}


def _personal(services: AppServices, iri: str) -> bool:
    ref = services.identity.parse(iri)
    return ref is not None and ref.space == "id" and ref.uri_class in (UriClass.PERSON, UriClass.POST)


async def redact_person(services: AppServices, moderator: str, key: str) -> dict[str, str | int]:
    """Remove the person and their posts (never shared things, such as the sources they cite) from both stores, and
    end their record as withdrawn."""
    if not KEY_PATTERN.match(key):
        raise ProblemError(404, "There is no such record.")
    record = services.identity.record_graph(UriClass.PERSON, key)
    async with services.turns.turn():
        public_nodes = await services.public.solutions(subjects_query(record, in_history=False))
        kept_nodes = await services.staging.solutions(subjects_query(record, in_history=True))
        nodes = sorted(
            {
                row["s"].value
                for row in [*public_nodes, *kept_nodes]
                if isinstance(row["s"], ox.NamedNode) and _personal(services, row["s"].value)
            }
        )
        if not nodes:
            raise ProblemError(404, "There is no such person on the map or in its history.")
        purge = purge_update(
            nodes, record, services.identity.metadata_graph, services.identity.resolve("def/ecosystem/")
        )
        await services.staging.update(purge)
        ended = end_transaction(
            services.identity, record, Ending.WITHDRAWN, reason=REASON, moderator=moderator, created=None
        )
        await services.public.update(purge + " ;\n" + ended.as_update())
        return {"record": record, "status": str(Ending.WITHDRAWN), "removed": len(nodes)}
