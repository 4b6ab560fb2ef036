"""Contributions: anyone may submit (within a fair-use limit), every submission is validated against the
shapes, valid ones wait in the staging store, and moderators approve them into the public store or reject
them with a reason."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Annotated, Any

import anyio
import pyoxigraph as ox
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from api import access
from api.conneg import choose
from api.dependencies import AppServices, Services
from api.errors import JSON_PROBLEMS, ProblemError
from api.responses import (
    JSON,
    MODERATORS,
    STORE,
    STRING,
    TOKEN,
    WRITES,
    InvalidRequest,
    Problem,
    ValidationReport,
    answers,
    documented,
    fields,
    problem,
)
from api.services import approval
from api.services.submission_template import XLSX
from api.services.submitting import EMAIL, convert_rows, process, report_json
from graph.contributions import report as reports
from graph.contributions.review import ORGANISATIONS_QUERY, changes, concept_checks, duplicates
from graph.contributions.sheets import SheetError, SheetTooLargeError, read_csv, read_xlsx
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
from graph.contributions.template import Conversion
from graph.contributions.validation import Finding
from graph.contributions.withdrawal import tombstones_query
from graph.rdf.identity import KEY_PATTERN
from graph.rdf.parsing import RdfSyntaxError
from graph.rdf.untrusted import TooManyStatementsError, read_submission, unwritable

router = APIRouter(tags=["Contributions"], dependencies=[JSON_PROBLEMS])

FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
SHEETS = {"text/csv": read_csv, XLSX: read_xlsx}
REPORTS = ["application/json", "text/turtle", "application/ld+json", "text/plain"]
TERMS = "Submitters license what they send under the Open Government Licence v3.0: send accept_terms=true to agree."
# How many statements count as one submission against the allowance: 20,000 take a minute's allowance.
STATEMENTS_A_SUBMISSION = 2000


@router.post(
    "/submissions",
    summary="Submit organisations, activities and relationships (Turtle, JSON-LD, RDF/XML, N-Triples)",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "Statements in the format Content-Type names, or the template filled in "
            "(GET /submissions/template.csv or /submissions/template.xlsx)",
            "content": {
                **{media_type: STRING for media_type in [*FORMATS, "text/csv"]},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    responses=documented(
        {
            200: answers("dry_run=true: the submission is valid (nothing was stored)", JSON),
            201: {"description": "Stored as pending; Location is its status link"},
            400: problem("Unreadable input, or the terms not accepted"),
            413: problem("Too large"),
            415: problem("Not an RDF format or spreadsheet that ecomap takes"),
            422: {
                "description": "Not valid against the shapes: the report, as Accept asks, says what to fix; or cells "
                "or statements that cannot be read, or a parameter that does not fit its type",
                "model": Problem | ValidationReport | InvalidRequest,
                "content": {
                    **{media_type: {} for media_type in REPORTS if media_type != JSON},
                    **problem("")["content"],
                },
            },
            429: problem("Too many submissions from this client (Retry-After says when to try again)"),
        },
        TOKEN,
        STORE,
    ),
)
async def submit(
    request: Request,
    services: Services,
    dry_run: Annotated[bool, Query(description="Validate only; store nothing")] = False,
    accept_terms: Annotated[bool, Query(description="Agree to license the data under the OGL v3.0")] = False,
    contact: Annotated[str | None, Query(description="An e-mail for the moderators; better sent as From")] = None,
    sender: Annotated[
        str | None,
        Header(alias="From", description="An e-mail address for the moderators, never published (RFC 9110's From)"),
    ] = None,
) -> Response:
    settings = services.settings
    contact = sender or contact  # a header stays out of the URLs that proxies log
    account = await access.account(request, services)
    await access.counted(request, services, account)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in FORMATS and media_type not in SHEETS:
        accepted = ", ".join([*FORMATS, *SHEETS])
        raise ProblemError(
            415, f"Send Turtle, JSON-LD, RDF/XML, N-Triples, CSV or XLSX, with its Content-Type: {accepted}."
        )
    limit = settings.submission_max_bytes
    body = await access.limited_body(
        request, limit, f"The submission is larger than {limit} bytes: split it into smaller ones."
    )
    if contact is not None and not EMAIL.match(contact):
        raise ProblemError(400, f"contact={contact} is not an e-mail address.")
    conversion: Conversion | None = None
    if media_type in SHEETS:
        try:
            # Read off the event loop: a workbook of many rows takes seconds to unzip and parse.
            conversion = await convert_rows(services, await anyio.to_thread.run_sync(SHEETS[media_type], body))
        except SheetTooLargeError as error:
            raise ProblemError(413, str(error)) from None
        except SheetError as error:
            raise ProblemError(400, str(error)) from None
        if conversion.problems:
            message = "Some cells cannot be read: see each problem's row and column."
            raise ProblemError(422, message, problems=conversion.problems)
        triples = conversion.triples
    else:
        try:
            # Checked and parsed off the event loop: even a refused body can take a second to read.
            quads = await anyio.to_thread.run_sync(
                lambda: read_submission(
                    body,
                    FORMATS[media_type],
                    base_iri=settings.base_uri + "/",
                    max_statements=settings.submission_max_statements,
                )
            )
        except RdfSyntaxError as unread:
            where = f"Line {unread.line}, column {unread.column}: " if unread.line else ""
            raise ProblemError(400, f"{where}{unread.detail}", line=unread.line, column=unread.column) from None
        except TooManyStatementsError as error:
            raise ProblemError(413, str(error)) from None
        if any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
            message = "Send statements without named graphs: ecomap decides which record each belongs to."
            raise ProblemError(400, message)
        triples = [q.triple for q in quads]
    if len(triples) > settings.submission_max_statements:
        limit = settings.submission_max_statements
        raise ProblemError(413, f"The submission holds {len(triples)} statements, more than {limit}.")
    # Validating takes about half a second a thousand statements, one validation at a time in each worker: a large
    # submission counts as several against the allowance (it already counted as one).
    await access.counted(request, services, account, weight=len(triples) / STATEMENTS_A_SUBMISSION - 1)
    if (unkeepable := unwritable(triples)) is not None:
        raise ProblemError(400, unkeepable)
    outcome = await process(services, triples, account=account, contact=contact, store=not dry_run and accept_terms)
    if outcome.report is not None and not outcome.report.conforms:
        return _report(request, outcome.report, 422, conversion)
    if outcome.problems:
        message = "Some statements do not belong to any record, or are about things no submission may change."
        raise ProblemError(422, message, problems=outcome.problems)
    if dry_run:
        return JSONResponse({"valid": True, "records": outcome.records, "report": outcome.report_json}, status_code=200)
    if not accept_terms:
        raise ProblemError(400, TERMS)
    status_url = f"/submissions/{outcome.status_key}"
    body_json = {
        "id": outcome.submission_id,
        "status": SubmissionStatus.PENDING,
        "status_url": status_url,
        "records": outcome.records,
        "report": outcome.report_json,
    }
    return JSONResponse(body_json, status_code=201, headers={"Location": status_url})


def _report(request: Request, report: reports.Report, status: int, conversion: Conversion | None = None) -> Response:
    chosen = choose(request.headers.get("accept"), REPORTS) or "application/json"
    if chosen == "text/turtle":
        return Response(reports.as_turtle(report), status_code=status, media_type="text/turtle")
    if chosen == "application/ld+json":
        return Response(report.graph.serialize(format="json-ld"), status_code=status, media_type="application/ld+json")
    if chosen == "text/plain":
        where = None
        if conversion is not None:

            def where(f: Finding) -> str:
                row, column = conversion.cell_of(f.focus, f.path, f.field)
                return f"row {row}, column {column}: "

        text = reports.as_text(report, where)
        return Response(text, status_code=status, media_type="text/plain; charset=utf-8")
    body = report_json(report)
    if conversion is not None:  # where each problem is in the spreadsheet
        for record in body["records"]:
            for result in record["results"]:
                result["row"], result["column"] = conversion.cell_of(
                    result["focusNode"], result["path"], result["field"]
                )
    return JSONResponse(body, status_code=status)


@router.get(
    "/submissions/{status_key}",
    summary="A submission's status: pending, approved or rejected (with the reason), at its private status link",
    description=(
        "The address the submission's answer gave (its Location): the key in it is private, unlike the submission's "
        "id, which the provenance of what it changed publishes."
    ),
    responses=documented({404: problem("There is no such submission")}, STORE),
)
async def status(status_key: str, services: Services) -> Response:
    found = None
    if KEY_PATTERN.match(status_key):
        rows = await services.staging.solutions(status_key_query(services.identity, status_key))
        submission = rows[0]["submission"].value.rsplit("/", 1)[-1] if rows else None
        found = await approval.describe_submission(services, submission) if submission else None
    if found is None:
        raise ProblemError(404, "There is no such submission.")
    return JSONResponse(found)


@router.get(
    "/submissions",
    summary="Submissions by status, for moderators",
    responses=documented({400: problem("status is not pending, approved or rejected")}, MODERATORS, STORE),
)
async def listing(request: Request, services: Services, status: str = SubmissionStatus.PENDING) -> Response:
    if status not in (SubmissionStatus.PENDING, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED):
        raise ProblemError(400, "status must be pending, approved or rejected.")
    await access.moderator(request, services)
    rows = await services.staging.solutions(submissions_query(services.identity, status))
    items = [
        {
            "id": row["submission"].value.rsplit("/", 1)[-1],
            "created": row["created"].value,
            "records": int(row["records"].value),
        }
        for row in rows
    ]
    return JSONResponse({"status": status, "submissions": items})


@router.get(
    "/submissions/{submission_id}/review",
    summary="What approval would change, and likely duplicates (moderators)",
    responses=documented(MODERATORS, {404: problem("There is no such submission")}, STORE),
)
async def review(submission_id: str, request: Request, services: Services) -> Response:
    identity = services.identity
    await access.moderator(request, services)
    found = await approval.describe_submission(services, submission_id)
    if found is None:
        raise ProblemError(404, "There is no such submission.")
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
    return JSONResponse(body, headers={"ETag": _review_tag(changed)})


async def _changes(services: AppServices, split: Split) -> list[dict[str, Any]]:
    """What approving would add to and remove from each record it changes, against the public store now."""
    current = await approval.current_records(services, split.graphs)
    return [asdict(change) for change in changes(split.proposed(current), current, split.records)]


def _review_tag(changed: list[dict[str, Any]]) -> str:
    """An entity tag for what a moderator reviewed: approving with If-Match fails if the records changed since."""
    return '"' + hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:32] + '"'


@router.post(
    "/submissions/{submission_id}/approve",
    summary="Approve a pending submission into the public map (moderators)",
    description=(
        'With `{"claim_checked": true}`, a submission whose sender says they speak for the organisation is published '
        "as the organisation's own: send it once you have checked the claim (the contact address is in the staging "
        "store, never published). Without it, the records say only what is known of who sent them."
    ),
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                JSON: {
                    "schema": {"type": "object", "properties": {"claim_checked": {"type": "boolean"}}},
                    "example": {"claim_checked": True},
                }
            },
        }
    },
    responses=documented(
        MODERATORS,
        WRITES,
        {
            400: problem("claim_checked, but the submission claims to speak for no organisation"),
            404: problem("There is no such submission"),
            409: problem("Already decided, being decided by another moderator, or a record it changes has ended"),
            412: problem("If-Match: the records have changed since the review"),
        },
        STORE,
    ),
)
async def approve(submission_id: str, request: Request, services: Services) -> Response:
    identity = services.identity
    moderator, found = await _pending(request, services, submission_id)
    triples = await services.staging.triples(statements_query(identity, submission_id))
    split = await approval.split_submission(services, triples)
    ended = [r for r in split.graphs if await services.public.solutions(tombstones_query(identity, r))]
    if ended:
        message = f"{', '.join(ended)} was withdrawn or merged: reject this submission, or ask an editor."
        raise ProblemError(409, message)
    expected = request.headers.get("if-match")
    if expected and expected != "*" and _review_tag(await _changes(services, split)) != expected:
        raise ProblemError(412, "The records have changed since this review: review the submission again.")
    role = await _role_approved(request, found["contributor_role"])
    await approval.claim_or_refuse(services, submission_id, approver=moderator)
    if role != found["contributor_role"]:  # kept before anything is published, for an approval resumed later
        await services.staging.update(role_update(identity, submission_id, role))
    records = await approval.approve_claimed(services, submission_id, moderator, role)
    return JSONResponse({"id": submission_id, "status": SubmissionStatus.APPROVED, "records": records})


@router.post(
    "/submissions/{submission_id}/reject",
    summary="Reject a pending submission, with a reason the submitter sees (moderators)",
    openapi_extra=fields(JSON, {"reason": "The organisation is already on the map as the Open Data Institute."}),
    responses=documented(
        MODERATORS,
        WRITES,
        {
            400: problem('No reason given: send {"reason": "..."}'),
            404: problem("There is no such submission"),
            409: problem("Already decided, or being decided by another moderator"),
        },
        STORE,
    ),
)
async def reject(submission_id: str, request: Request, services: Services) -> Response:
    moderator, _ = await _pending(request, services, submission_id)
    reason = await _reason(request)
    if not reason:
        raise ProblemError(400, 'Give the reason, which the submitter will see: {"reason": "..."}.')
    await approval.claim_or_refuse(services, submission_id, approver=None)
    transaction = decision_transaction(services.identity, submission_id, SubmissionStatus.REJECTED, moderator, reason)
    await services.staging.update(transaction.as_update())
    return JSONResponse({"id": submission_id, "status": SubmissionStatus.REJECTED, "reason": reason})


async def _role_approved(request: Request, role: str) -> str:
    """The role the approved records are published in: as submitted, or the organisation's own where the moderator
    has checked a claim to speak for it (``{"claim_checked": true}``)."""
    asked = await access.decision(request)
    if not (isinstance(asked, dict) and asked.get("claim_checked") is True):
        return role
    if role != ContributorRole.UNVERIFIED_ORGANISATION:
        raise ProblemError(400, "This submission claims to speak for no organisation.")
    return ContributorRole.ORGANISATION


async def _reason(request: Request) -> str | None:
    body = await access.decision(request)
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason.strip()[:2000] if isinstance(reason, str) and reason.strip() else None


async def _pending(request: Request, services: AppServices, submission_id: str) -> tuple[str, dict[str, Any]]:
    """The moderator asking, and the pending submission they would decide on; refused (401, 403, 404, 409)."""
    moderator = await access.moderating(request, services)
    found = await approval.describe_submission(services, submission_id)
    if found is None:
        raise ProblemError(404, "There is no such submission.")
    if found["status"] != SubmissionStatus.PENDING:
        raise ProblemError(409, f"This submission is already {found['status']}.")
    return moderator, found
