"""The feed of approved changes: the versions kept in the staging store and the records ended in the public one,
newest first."""

from __future__ import annotations

from api.dependencies import AppServices
from graph.contributions.changes import Change, changes, versions_query
from graph.contributions.withdrawal import tombstones_query


async def recent_changes(services: AppServices, limit: int) -> list[Change]:
    identity = services.identity
    versions = await services.staging.solutions(versions_query(identity, limit))
    ended = await services.public.solutions(tombstones_query(identity, limit=limit))
    return changes(identity, versions, ended, limit)
