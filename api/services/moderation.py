"""The moderators' work on submissions: list them, review one (what approving it would change, likely duplicates,
concept checks), approve or reject it; and a submitter's look at their submission's status."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

import anyio

from api import entity_tags
from api.dependencies import AppServices
from api.errors import ProblemError
from api.services import approval
from api.services.document import tombstone
from graph.contributions.review import ORGANISATIONS_QUERY, changes, concept_checks, duplicates
from graph.contributions.submissions import (
    ContributorRole,
    Split,
    SubmissionStatus,
    contact_query,
    decision_transaction,
    role_update,
    statements_query,
    status_key_query,
    submissions_query,
)
from graph.rdf.identity import KEY_PATTERN


async def status_at(services: AppServices, status_key: str) -> dict[str, Any]:
    """The submission whose private status link holds ``status_key``."""
    found = None
    if KEY_PATTERN.match(status_key):
        rows = await services.staging.solutions(status_key_query(services.identity, status_key))
        submission = rows[0]["submission"].value.rsplit("/", 1)[-1] if rows else None
        found = await approval.describe_submission(services, submission) if submission else None
    if found is None:
        raise ProblemError(404, "There is no such submission.")
    return found


async def listed(services: AppServices, status: str) -> list[dict[str, Any]]:
    """The submissions with ``status``, newest first, with how many records each changes."""
    rows = await services.staging.solutions(submissions_query(services.identity, status))
    return [
        {
            "id": row["submission"].value.rsplit("/", 1)[-1],
            "created": row["created"].value,
            "records": int(row["records"].value),
        }
        for row in rows
    ]


async def described(services: AppServices, submission_id: str) -> dict[str, Any]:
    found = await approval.describe_submission(services, submission_id)
    if found is None:
        raise ProblemError(404, "There is no such submission.")
    return found


async def pending(services: AppServices, submission_id: str) -> dict[str, Any]:
    """The submission, refused (404, 409) unless it waits for a decision."""
    found = await described(services, submission_id)
    if found["status"] != SubmissionStatus.PENDING:
        raise ProblemError(409, f"This submission is already {found['status']}.")
    return found


async def review(services: AppServices, submission_id: str) -> tuple[dict[str, Any], str]:
    """The submission with what approving it would change, its likely duplicates and the checks of the concepts it
    names; and the entity tag of the changes (:func:`review_tag`)."""
    identity = services.identity
    found = await described(services, submission_id)
    triples = await services.staging.triples(statements_query(identity, submission_id))
    contact = await services.staging.solutions(contact_query(identity, submission_id))
    changed = await _changes(services, await approval.split_submission(services, triples))
    existing = await services.public.solutions(ORGANISATIONS_QUERY)
    suggester = await services.suggester.get()
    eco = identity.resolve("def/ecosystem/")
    # Both compare texts as vectors: seconds on a large map, so off the event loop.
    candidates = await anyio.to_thread.run_sync(lambda: duplicates(triples, existing))
    checks = await anyio.to_thread.run_sync(lambda: concept_checks(triples, suggester, eco))
    body = {
        **found,
        "contact": contact[0]["contact"].value if contact else None,
        "changes": changed,
        "possible_duplicates": [asdict(d) for d in candidates],
        "concept_checks": [asdict(check) for check in checks],
    }
    return body, review_tag(changed)


async def _changes(services: AppServices, split: Split) -> list[dict[str, Any]]:
    """What approving would add to and remove from each record it changes, against the public store now."""
    current = await approval.current_records(services, split.graphs)
    return [asdict(change) for change in changes(split.proposed(current), current, split.records)]


def review_tag(changed: list[dict[str, Any]]) -> str:
    """An entity tag for what a moderator reviewed: approving with If-Match fails if the records changed since."""
    return '"' + hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:32] + '"'


async def check_approvable(services: AppServices, submission_id: str, if_match: str | None) -> None:
    """Refuse to approve the pending submission if a record it changes has ended (409), or if the records changed
    since the review ``if_match`` tags (412)."""
    identity = services.identity
    triples = await services.staging.triples(statements_query(identity, submission_id))
    split = await approval.split_submission(services, triples)
    ended = [r for r in split.graphs if await tombstone(services, r) is not None]
    if ended:
        message = f"{', '.join(ended)} was withdrawn or merged: reject this submission, or ask an editor."
        raise ProblemError(409, message)
    if if_match and not entity_tags.matches(if_match, review_tag(await _changes(services, split)), strong=True):
        raise ProblemError(412, "The records have changed since this review: review the submission again.")


async def approve(
    services: AppServices,
    submission_id: str,
    moderator: str,
    submitted_role: str,
    *,
    claim_checked: bool,
    if_match: str | None,
) -> list[str]:
    """Publish the records of the pending submission, in the role submitted or, where the moderator checked a claim
    to speak for the organisation, as the organisation's own. Returns the records.

    :func:`check_approvable` again, in the turn: a route checks first, so that its refusals come before any about the
    request's body, and an approval of the same records may have finished since."""
    role = _role_approved(submitted_role, claim_checked)
    async with services.turns.turn():
        await check_approvable(services, submission_id, if_match)
        await approval.claim_or_refuse(services, submission_id, approver=moderator)
        if role != submitted_role:  # kept before anything is published, for an approval resumed later
            await services.staging.update(role_update(services.identity, submission_id, role))
        return await approval.approve_claimed(services, submission_id, moderator, role)


def _role_approved(submitted: str, claim_checked: bool) -> str:
    """The role the approved records are published in: as submitted, or the organisation's own where the moderator
    has checked a claim to speak for it (``{"claim_checked": true}``)."""
    if not claim_checked:
        return submitted
    if submitted != ContributorRole.UNVERIFIED_ORGANISATION:
        raise ProblemError(400, "This submission claims to speak for no organisation.")
    return ContributorRole.ORGANISATION


async def reject(services: AppServices, submission_id: str, moderator: str, reason: str) -> None:
    async with services.turns.turn():
        await approval.claim_or_refuse(services, submission_id, approver=None)
        transaction = decision_transaction(
            services.identity, submission_id, SubmissionStatus.REJECTED, moderator, reason
        )
        await services.staging.update(transaction.as_update())
