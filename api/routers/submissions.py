"""Contributions: anyone may submit (within a fair-use limit), every submission is validated against the
shapes, valid ones wait in the staging store, and moderators approve them into the public store or reject
them with a reason."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import pyoxigraph as ox
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from api import access
from api.dependencies import AppServices, Services
from api.errors import JSON_PROBLEMS, ProblemError
from api.negotiation import negotiated
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
from api.services import moderation
from api.services.submission_template import XLSX
from api.services.submitting import EMAIL, convert_rows, process, report_json
from graph.contributions import report as reports
from graph.contributions.sheets import SheetError, SheetTooLargeError, read_csv, read_xlsx
from graph.contributions.submissions import (
    SubmissionStatus,
)
from graph.contributions.template import Conversion
from graph.contributions.validation import Finding
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
            406: problem("format= names none of the validation report's media types"),
            415: problem("Not an RDF format or spreadsheet that ecomap takes"),
            422: {
                "description": "Not valid against the shapes: the report, as format= or Accept asks, says what to fix; "
                "or cells or statements that cannot be read, or a parameter that does not fit its type",
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
    report_type: Annotated[str, negotiated(*REPORTS, fallback=JSON)],
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
        return _report(report_type, outcome.report, 422, conversion)
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


def _report(chosen: str, report: reports.Report, status: int, conversion: Conversion | None = None) -> Response:
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
    return JSONResponse(await moderation.status_at(services, status_key))


@router.get(
    "/submissions",
    summary="Submissions by status, for moderators",
    responses=documented({400: problem("status is not pending, approved or rejected")}, MODERATORS, STORE),
)
async def submissions_by_status(
    request: Request, services: Services, status: str = SubmissionStatus.PENDING
) -> Response:
    if status not in (SubmissionStatus.PENDING, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED):
        raise ProblemError(400, "status must be pending, approved or rejected.")
    await access.moderator(request, services)
    return JSONResponse({"status": status, "submissions": await moderation.listed(services, status)})


@router.get(
    "/submissions/{submission_id}/review",
    summary="What approval would change, and likely duplicates (moderators)",
    responses=documented(MODERATORS, {404: problem("There is no such submission")}, STORE),
)
async def review(submission_id: str, request: Request, services: Services) -> Response:
    await access.moderator(request, services)
    body, tag = await moderation.review(services, submission_id)
    return JSONResponse(body, headers={"ETag": tag})


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
    moderator, found = await _pending(request, services, submission_id)
    if_match = request.headers.get("if-match")
    await moderation.check_approvable(services, submission_id, if_match)
    asked = await access.decision(request)  # read after the checks, as its refusals (413) come after theirs
    claim_checked = isinstance(asked, dict) and asked.get("claim_checked") is True
    records = await moderation.approve(
        services, submission_id, moderator, found["contributor_role"], claim_checked=claim_checked, if_match=if_match
    )
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
    await moderation.reject(services, submission_id, moderator, reason)
    return JSONResponse({"id": submission_id, "status": SubmissionStatus.REJECTED, "reason": reason})


async def _reason(request: Request) -> str | None:
    body = await access.decision(request)
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason.strip()[:2000] if isinstance(reason, str) and reason.strip() else None


async def _pending(request: Request, services: AppServices, submission_id: str) -> tuple[str, dict[str, Any]]:
    """The moderator asking, and the pending submission they would decide on; refused (401, 403, 404, 409)."""
    moderator = await access.moderating(request, services)
    return moderator, await moderation.pending(services, submission_id)
