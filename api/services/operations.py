"""What operators and supervisors ask of the stores: whether each answers, and the submissions by status."""

from __future__ import annotations

from api.dependencies import AppServices
from graph.contributions.submissions import status_counts_query
from graph.store.interface import StoreError


async def stores_ready(services: AppServices) -> dict[str, bool]:
    return {"public": await services.public.ready(), "staging": await services.staging.ready()}


async def submission_counts(services: AppServices) -> dict[str, int]:
    """Submissions by status, read from the staging store as they are now (not counted by a worker); all zero while
    the store is not answering, so that the metrics still answer."""
    try:
        rows = await services.staging.solutions(status_counts_query(services.identity))
    except StoreError:
        rows = []
    counts = dict.fromkeys(("pending", "approved", "rejected"), 0)
    counts.update({row["status"].value.rsplit("/", 1)[-1]: int(row["count"].value) for row in rows})
    return counts
