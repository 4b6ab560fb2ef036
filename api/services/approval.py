"""Deciding on a submission: claim it, then carry out an approval's three updates, and complete any approval
that died midway.

An approval spans two stores, so it cannot be one transaction. It is made safe by order and idempotence
instead: the claim names the approving moderator; the staging store keeps the records' new versions first,
then the public store's records are replaced whole, then the submission is marked approved. Each step can
be repeated without harm, so an approval killed between any two of them is finished later by whichever
worker finds its claim stale (``keep_resuming``): the stores never stay approved in one and pending in the
other for longer than ``ECOMAP_CLAIM_SECONDS`` plus a check interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyoxigraph as ox

from api.dependencies import AppServices
from api.errors import ProblemError
from graph import failpoints
from graph.contributions.history import latest_query
from graph.contributions.ownership import owners, owners_queries
from graph.contributions.review import current_records_query
from graph.contributions.submissions import (
    Split,
    SubmissionStatus,
    approval_transactions,
    claim_query,
    claim_update,
    interrupted_approvals_query,
    new_claim,
    split_into_records,
    statements_query,
    subjects_named,
    submission_query,
)
from graph.rdf.identity import KEY_PATTERN
from graph.rdf.query_text import iri, iris
from graph.rdf.terms import as_iri, as_subject
from graph.store.interface import StoreError

log = logging.getLogger("ecomap.approval")


async def describe_submission(services: AppServices, submission_id: str) -> dict[str, Any] | None:
    """A submission's status, dates, reason and records from the staging store; ``None`` if there is none."""
    if not KEY_PATTERN.match(submission_id):
        return None
    rows = await services.staging.solutions(submission_query(services.identity, submission_id))
    if not rows:
        return None
    first = rows[0]
    base = services.settings.base_uri
    return {
        "id": submission_id,
        "status": first["status"].value.rsplit("/", 1)[-1],
        "created": first["created"].value,
        "decided": first["modified"].value if "modified" in first else None,
        "reason": first["reason"].value if "reason" in first else None,
        "records": sorted({row["record"].value for row in rows if "record" in row}),
        "contributor_role": first["role"].value.rsplit("/", 1)[-1],
        "documents": sorted({"/doc" + row["record"].value[len(base) + 5 :] for row in rows if "record" in row}),
    }


async def claim(services: AppServices, submission_id: str, *, approver: str | None) -> bool:
    """Hold the submission for one decision (``graph.contributions.submissions.claim_update``); False if someone else
    holds it."""
    token = new_claim()
    stale_after = timedelta(seconds=services.settings.claim_seconds)
    update = claim_update(
        services.identity, submission_id, token, datetime.now(UTC), stale_after=stale_after, approver=approver
    )
    await services.staging.update(update)
    rows = await services.staging.solutions(claim_query(services.identity, submission_id))
    return [row["claim"].value for row in rows] == [token]


async def claim_or_refuse(services: AppServices, submission_id: str, *, approver: str | None) -> None:
    if not await claim(services, submission_id, approver=approver):
        raise ProblemError(409, "Another moderator is deciding on this submission right now.")


async def latest_versions(services: AppServices, records: list[str]) -> dict[str, str]:
    """Each record's newest kept version, from the staging store (graph.contributions.history)."""
    if not records:
        return {}
    rows = await services.staging.solutions(latest_query(services.identity, records))
    newest: dict[str, tuple[datetime, str]] = {}
    for row in rows:
        record, stamp = row["record"].value, datetime.fromisoformat(row["generated"].value)
        if record not in newest or stamp > newest[record][0]:
            newest[record] = (stamp, row["version"].value)
    return {record: version for record, (_, version) in newest.items()}


async def created_times(services: AppServices, records: list[str]) -> dict[str, datetime]:
    """When each record that already exists in the public store was first created (an update keeps it)."""
    if not records:
        return {}
    metadata = iri(services.identity.metadata_graph)
    rows = await services.public.solutions(
        f"SELECT ?record ?created WHERE {{ VALUES ?record {{ {iris(records)} }} "
        f"GRAPH {metadata} {{ ?record <http://purl.org/dc/terms/created> ?created }} }}"
    )
    return {row["record"].value: datetime.fromisoformat(row["created"].value) for row in rows}


async def split_submission(services: AppServices, triples: list[ox.Triple]) -> Split:
    """The statements sorted into records, each subject already on the map staying with its record (as the public
    store says now)."""
    rows = [row for query in owners_queries(subjects_named(triples)) for row in await services.public.solutions(query)]
    return split_into_records(triples, services.identity, owners(rows, services.identity))


async def current_records(services: AppServices, graphs: Iterable[str]) -> dict[str, list[ox.Triple]]:
    """The statements of these records in the public store now (a record not on the map has none)."""
    rows = await services.public.solutions(current_records_query(graphs))
    current: dict[str, list[ox.Triple]] = {}
    for row in rows:
        current.setdefault(row["g"].value, []).append(ox.Triple(as_subject(row["s"]), as_iri(row["p"]), row["o"]))
    return current


async def approve_claimed(
    services: AppServices, submission_id: str, moderator: str, contributor_role: str
) -> list[str]:
    """Carry out the approval of a submission this request has claimed; safe to repeat after a crash (the statements
    it adds to records it does not send whole are added to them as they are then, once).

    Returns the record graphs it changed."""
    identity = services.identity
    split = await split_submission(services, await services.staging.triples(statements_query(identity, submission_id)))
    records = split.proposed(await current_records(services, split.additions))
    created = await created_times(services, list(records))
    previous = await latest_versions(services, list(records))
    retried = any(v.endswith(f"/version/{submission_id}") for v in previous.values())  # versions already kept
    initial = {
        graph: await services.public.named_graph(graph) for graph in created if graph not in previous and not retried
    }
    versions, public, decision = approval_transactions(
        identity,
        submission_id,
        records,
        contributor_role=contributor_role,
        created=created,
        moderator=moderator,
        previous=None if retried else previous,
        initial=None if retried else initial,
        added_to=split.additions,
    )
    if versions.inserts or versions.operations:
        await services.staging.update(versions.as_update())
    await failpoints.reach("approval.versions-kept")
    await services.public.update(public.as_update())
    await failpoints.reach("approval.public-changed")
    await services.staging.update(decision.as_update())
    return sorted(records)


async def resume_interrupted(services: AppServices) -> list[str]:
    """Complete every approval whose claim went stale before it finished; returns the submissions completed."""
    stale_after = timedelta(seconds=services.settings.claim_seconds)
    rows = await services.staging.solutions(
        interrupted_approvals_query(services.identity, datetime.now(UTC), stale_after)
    )
    completed = []
    for row in rows:
        submission_id, moderator = row["submission"].value.rsplit("/", 1)[-1], row["moderator"].value
        async with services.turns.turn():
            found = await describe_submission(services, submission_id)
            if found is None or found["status"] != SubmissionStatus.PENDING:
                continue  # completed since it was found
            if not await claim(services, submission_id, approver=moderator):
                continue  # another worker is completing it
            await approve_claimed(services, submission_id, moderator, found["contributor_role"])
        log.warning("ecomap: completed the approval of submission %s, which had stopped midway", submission_id)
        completed.append(submission_id)
    return completed


async def keep_resuming(services: AppServices) -> None:
    """Look for interrupted approvals at start and then every half claim period, until cancelled."""
    while True:
        try:
            await resume_interrupted(services)
        except StoreError as problem:  # the store is away for now; look again next time
            log.warning("ecomap: could not look for interrupted approvals: %s", problem.message)
        except Exception:  # a fault in one resumption must not stop the search for good
            log.exception("ecomap: completing an interrupted approval failed; trying again later")
        await asyncio.sleep(max(1.0, services.settings.claim_seconds / 2))
