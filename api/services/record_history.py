"""A record's history: its approved versions, kept in the staging store (``graph.contributions.history``)."""

from __future__ import annotations

import pyoxigraph as ox

from api.dependencies import AppServices
from graph.contributions.history import Version, kept_versions, version_graph


async def versions_of(services: AppServices, record: str) -> list[Version]:
    """The record's versions, newest first."""
    return await kept_versions(services.staging, services.identity, record)


async def version_statements(services: AppServices, record: str, version: str) -> tuple[str, list[ox.Triple]]:
    """The version's graph and statements: none unless the history lists it, that is unless the approval that kept it
    has finished (a version is kept before the public record changes, and was served for minutes after a worker died
    between the two)."""
    graph = version_graph(record, version)
    listed = await versions_of(services, record)
    return graph, await services.staging.named_graph(graph) if any(v.iri == graph for v in listed) else []
